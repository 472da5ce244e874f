package library

import (
	"context"
	"log/slog"
	"runtime"
	"sync"

	"github.com/trackfeed/trackfeed/library/tags"
)

// pool is the bounded pool of workers that reads files, for Scan and for a
// Watcher alike:
//
//	feed ──batches of jobs──▶ N workers, a tags.Reader each ──batches of results──▶ results
//
// One goroutine runs feed, which hands files over through a feeder (Scan's
// walks the tree; a Watcher's lists the files that changed). The workers
// take batches of files and read each with read; a batch of results comes
// out for each batch of files, in the same order and with the same seq.
// The results channel is closed in one place, once feed and every worker
// have returned; whoever started the pool must drain it.
type pool struct {
	results <-chan resultBatch
	err     error // feed's, or the feeder's last send's; set before results is closed
}

// readFunc reads one file, with the tags.Reader of the worker that calls it.
type readFunc func(j job, r *tags.Reader) result

// startPool runs feed and workers workers until feed has returned and the
// workers have read every file it sent, or ctx is done. A feeder sends
// a batch once it has minBatch files and a worker is free to take it.
func startPool(ctx context.Context, workers, minBatch int, read readFunc, feed func(*feeder) error) *pool {
	jobs := make(chan jobBatch, workers)
	results := make(chan resultBatch, workers)
	p := &pool{results: results}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		f := &feeder{ctx: ctx, jobs: jobs, results: results, min: minBatch}
		p.err = feed(f)
		if p.err == nil {
			p.err = f.flush()
		}
	})
	for range workers {
		wg.Go(func() { work(ctx, jobs, results, read) })
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return p
}

// Jobs go to the workers in batches, so that the hand-off costs little
// next to the reads: a batch is sent once it has a feeder's min files and a
// worker can take it, or once it has maxBatch. Scan's min is minBatch.
const (
	minBatch = 16
	maxBatch = 64
)

// jobBatch is files for a worker to read; seq numbers the batches in the
// order they were fed (for Scan, walk order).
type jobBatch struct {
	seq  int
	jobs []job
}

// resultBatch is what a worker read from a jobBatch, in the same order and
// with the same seq; a feeder's own skips have seq -1.
type resultBatch struct {
	seq     int
	results []result
}

// feeder hands files to a pool's workers in batches.
type feeder struct {
	ctx     context.Context
	jobs    chan<- jobBatch
	results chan<- resultBatch
	min     int // files in a batch before it goes to a free worker
	batch   jobBatch
}

// add queues a file for the workers.
func (f *feeder) add(j job) error {
	f.batch.jobs = append(f.batch.jobs, j)
	if len(f.batch.jobs) >= maxBatch {
		err := send(f.ctx, f.jobs, f.batch)
		f.batch = jobBatch{seq: f.batch.seq + 1}
		return err
	}
	if len(f.batch.jobs) >= f.min {
		select {
		case f.jobs <- f.batch:
			f.batch = jobBatch{seq: f.batch.seq + 1}
		default:
		}
	}
	return nil
}

// flush sends the files queued and not sent yet.
func (f *feeder) flush() error {
	if len(f.batch.jobs) == 0 {
		return nil
	}
	err := send(f.ctx, f.jobs, f.batch)
	f.batch = jobBatch{seq: f.batch.seq + 1}
	return err
}

// skip reports an entry that is left out without being read.
func (f *feeder) skip(p string, reason Reason, err error) error {
	return send(f.ctx, f.results, resultBatch{seq: -1, results: []result{skipped(p, reason, err)}})
}

// send sends v on ch unless ctx is done first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// work reads the files from jobs until jobs is closed or ctx is done, and
// sends a batch of results for each batch of jobs. Its tags.Reader keeps
// its buffers from file to file.
func work(ctx context.Context, jobs <-chan jobBatch, results chan<- resultBatch, read readFunc) {
	var r tags.Reader
	for {
		select {
		case <-ctx.Done():
			return
		case batch, ok := <-jobs:
			if !ok {
				return
			}
			out := resultBatch{seq: batch.seq, results: make([]result, 0, len(batch.jobs))}
			for _, j := range batch.jobs {
				if ctx.Err() != nil {
					return
				}
				out.results = append(out.results, read(j, &r))
			}
			if send(ctx, results, out) != nil {
				return
			}
		}
	}
}

// workerCount is how many files Scan and a Watcher read at once, given
// Options.Workers or WatchOptions.Workers.
func workerCount(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// orDiscard is Options.Logger or WatchOptions.Logger, or a logger that
// discards.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
