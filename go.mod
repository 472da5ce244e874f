module github.com/trackfeed/trackfeed

go 1.26.8

require (
	github.com/dhowden/tag v0.0.0-20240417053706-3d75831295e8
	github.com/go-zeromq/zmq4 v0.17.0
	github.com/spf13/pflag v1.1.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.25.0
	golang.org/x/text v0.44.0
)

require github.com/go-zeromq/goczmq/v4 v4.2.2 // indirect
