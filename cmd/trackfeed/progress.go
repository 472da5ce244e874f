package main

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a scan has got on the last line of a terminal: a
// spinner, the tracks read so far and how many a second. The number of
// files is not known until the walk ends (counting them first would cost a
// walk of its own), so there is no bar to fill.
//
// Log lines go through the writer newProgress returns, which takes the
// spinner off its line before each one; the spinner comes back below at
// its next turn. A nil *progress does nothing.
type progress struct {
	term  io.Writer     // stderr, a terminal
	delay time.Duration // how long a scan must take for the spinner to show
	n     atomic.Int64  // tracks read

	mu    sync.Mutex // held for every write to term
	drawn bool       // the spinner is on term's last line

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// progressDelay keeps the spinner off the screen for a small library: a
// scan that ends sooner shows nothing.
const progressDelay = 300 * time.Millisecond

// newProgress returns a progress for stderr, and the writer that the log
// should use. When stderr is not a terminal, it returns nil and stderr
// itself: nothing but the log is printed.
func newProgress(stderr io.Writer, delay time.Duration) (*progress, io.Writer) {
	if !isTerminal(stderr) {
		return nil, stderr
	}
	p := &progress{term: stderr, delay: delay}
	return p, progressLog{p}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// start shows the spinner, labelled what, once the delay has passed, and
// until done is called. It may be called once.
func (p *progress) start(what string) {
	if p == nil {
		return
	}
	// A spinner change interval of 0, or the bar would start a goroutine of
	// its own to turn the spinner: it is drawn only from the goroutine
	// below, under p.mu.
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(spinnerWriter{p}),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionShowCount(),
		progressbar.OptionShowTotalBytes(false),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("tracks"),
	)
	bar.StartWithoutRender() // the rate counts from now, not from the first turn
	p.stop = make(chan struct{})
	p.wg.Go(func() {
		wait := time.NewTimer(p.delay)
		defer wait.Stop()
		select {
		case <-p.stop:
			return
		case <-wait.C:
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			p.mu.Lock()
			_ = bar.Set64(p.n.Load())
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	})
}

// add counts a track read.
func (p *progress) add() {
	if p != nil {
		p.n.Add(1)
	}
}

// done stops the spinner and clears its line. It may be called more than
// once.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		if p.stop != nil {
			close(p.stop)
		}
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.clearLine()
	})
}

// clearLine takes the spinner off its line; p.mu must be held.
func (p *progress) clearLine() {
	if p.drawn {
		io.WriteString(p.term, "\r\x1b[K")
		p.drawn = false
	}
}

// spinnerWriter is where the progress bar draws; p.mu is held.
type spinnerWriter struct{ p *progress }

func (w spinnerWriter) Write(b []byte) (int, error) {
	w.p.drawn = true
	return w.p.term.Write(b)
}

// progressLog is the log's writer while a progress may be on screen.
type progressLog struct{ p *progress }

func (w progressLog) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.clearLine()
	return w.p.term.Write(b)
}
