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
	return &rawWriter{nc: nc, rc: rc}
}

// Write writes all of b, waiting for room under the write deadline.
func (w *rawWriter) Write(b []byte) (int, error) { return w.write(b, true) }

// TryWrite writes what of b the socket takes now, without waiting.
func (w *rawWriter) TryWrite(b []byte) (int, error) { return w.write(b, false) }

func (w *rawWriter) write(b []byte, wait bool) (n int, err error) {
	var errno syscall.Errno
	rerr := w.rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			k, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n))
			switch e {
			case 0:
				n += int(k)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return !wait
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if errno != 0 {
		return n, &net.OpError{Op: "write", Net: w.nc.LocalAddr().Network(), Source: w.nc.LocalAddr(),
			Addr: w.nc.RemoteAddr(), Err: os.NewSyscallError("write", errno)}
	}
	return n, rerr
}
