package publisher

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp"
)

// acceptor is the accept loop the PUB socket and the query socket share:
// a bounded number of connections (slots), each served on a goroutine of
// its own that wg waits for, until ctx ends.
type acceptor struct {
	ctx   context.Context
	wg    *sync.WaitGroup
	slots chan struct{}
	log   *slog.Logger
	// serve owns a connection; it must release its slot (<-slots) when done.
	serve func(net.Conn)
	// refuse is called with a connection past the limit, before it is closed.
	refuse func(net.Conn)
	// stopped is the log message when accepting fails for good.
	stopped string
}

func (a *acceptor) accept(l net.Listener) {
	defer a.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			if a.ctx.Err() != nil {
				return
			}
			if isTemporary(err) {
				// EMFILE and friends: wait a moment rather than spin.
				a.log.Warn("accept failed; retrying", "err", err)
				select {
				case <-time.After(100 * time.Millisecond):
				case <-a.ctx.Done():
					return
				}
				continue
			}
			a.log.Error(a.stopped, "endpoint", zmtp.Endpoint(l.Addr()), "err", err)
			return
		}
		select {
		case a.slots <- struct{}{}:
		default:
			a.refuse(nc)
			nc.Close()
			continue
		}
		a.wg.Add(1)
		go a.serve(nc)
	}
}

// isTemporary tells a resource error worth retrying (too many open files)
// from a closed listener.
func isTemporary(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}
