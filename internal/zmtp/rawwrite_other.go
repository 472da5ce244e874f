//go:build !linux

package zmtp

import "net"

// rawWriter is Linux only (see rawwrite_linux.go): elsewhere Conn writes
// through net.Conn, and TryWrite takes nothing.
type rawWriter struct{}

func newRawWriter(net.Conn) *rawWriter { return nil }

func (*rawWriter) Write([]byte) (int, error)    { panic("zmtp: no raw writer") }
func (*rawWriter) TryWrite([]byte) (int, error) { panic("zmtp: no raw writer") }
