package zmtp

import (
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawWriter writes to a socket with write(2) made as a raw system call,
// through syscall.RawConn, so that a full socket buffer still parks the
// goroutine in the network poller under the write deadline.
//
// Why raw: the socket is non-blocking, so the call never blocks, and a raw
// call does not tell the runtime it entered a system call. A plain one
// (net.Conn.Write) wakes the runtime's sysmon thread from its idle sleep,
// after which sysmon polls every 20 µs for a while: at 10 msg/s to 10
// subscribers that was a third of the publisher's idle CPU (BENCHMARKS.md,
// "Idle").
type rawWriter struct {
	nc net.Conn
	rc syscall.RawConn
	fn func(fd uintptr) bool // w.step, bound once: a closure made per write was one allocation per message

	// The state of the write under way, for step. A connection has one
	// writer at a time.
	b     []byte
	n     int
	wait  bool
	errno syscall.Errno
}

// newRawWriter returns a rawWriter for nc, or nil if nc has no file
// descriptor to write to.
func newRawWriter(nc net.Conn) *rawWriter {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawWriter{nc: nc, rc: rc}
	w.fn = w.step
	return w
}

// Write writes all of b, waiting for room under the write deadline.
func (w *rawWriter) Write(b []byte) (int, error) { return w.write(b, true) }

// TryWrite writes what of b the socket takes now, without waiting.
func (w *rawWriter) TryWrite(b []byte) (int, error) { return w.write(b, false) }

func (w *rawWriter) write(b []byte, wait bool) (int, error) {
	w.b, w.n, w.wait, w.errno = b, 0, wait, 0
	rerr := w.rc.Write(w.fn)
	n, errno := w.n, w.errno
	w.b = nil
	if errno != 0 {
		return n, &net.OpError{Op: "write", Net: w.nc.LocalAddr().Network(), Source: w.nc.LocalAddr(),
			Addr: w.nc.RemoteAddr(), Err: os.NewSyscallError("write", errno)}
	}
	return n, rerr
}

// step writes what it can of w.b; it reports false to wait for room.
func (w *rawWriter) step(fd uintptr) bool {
	for w.n < len(w.b) {
		k, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&w.b[w.n])), uintptr(len(w.b)-w.n))
		switch e {
		case 0:
			w.n += int(k)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return !w.wait
		default:
			w.errno = e
			return true
		}
	}
	return true
}
