package schedule

import (
	"context"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// timerfdTicker is Linux's ticker: a periodic timerfd read through the
// network poller. It costs the publisher one thread wake-up per tick,
// where a time.Ticker costs about four (the poller's millisecond timeout
// wakes early and polls again, sysmon wakes for the timer, and another
// thread wakes to look for work): at 10 msg/s that was most of the idle
// CPU left once writes stopped waking sysmon (BENCHMARKS.md, "Idle"). The
// read is a raw system call for the same reason as the writes
// (internal/zmtp/rawwrite_linux.go).
type timerfdTicker struct {
	ctx    context.Context
	f      *os.File
	rc     syscall.RawConn
	unhook func() bool // stops the wake-up on ctx's end
}

// newTicker returns a timerfd ticker, or the portable one if the kernel
// refuses a timerfd.
func newTicker(ctx context.Context, tick time.Duration) ticker {
	t, err := newTimerfdTicker(ctx, tick)
	if err != nil {
		return newTimeTicker(ctx, tick)
	}
	return t
}

func newTimerfdTicker(ctx context.Context, tick time.Duration) (*timerfdTicker, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	ts := unix.NsecToTimespec(int64(tick))
	if err := unix.TimerfdSettime(fd, 0, &unix.ItimerSpec{Interval: ts, Value: ts}, nil); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &timerfdTicker{ctx: ctx, f: f, rc: rc}
	t.unhook = context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	return t, nil
}

func (t *timerfdTicker) wait() error {
	var buf [8]byte
	var errno syscall.Errno
	err := t.rc.Read(func(fd uintptr) bool {
		for {
			_, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN
			}
		}
	})
	if t.ctx.Err() != nil {
		return t.ctx.Err()
	}
	if err != nil {
		return err
	}
	if errno != 0 {
		return os.NewSyscallError("read timerfd", errno)
	}
	return nil
}

func (t *timerfdTicker) stop() {
	t.unhook()
	t.f.Close()
}
