package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
)

// publishRemote are publish's flags for a library read through a
// ventilator's workers.
type publishRemote struct {
	remoteFlags
	rescan time.Duration
}

func (r *publishRemote) define(fs *pflag.FlagSet) {
	r.remoteFlags.define(fs)
	fs.DurationVar(&r.rescan, "rescan", 0, "with --ventilator: read the library again every `DURATION`\n(and on SIGHUP); the scan cache makes it cheap")
}

// run publishes FOLDER (args) as the ventilator's workers read it.
func (r *publishRemote) run(ctx context.Context, c *publishCmd, st stdio, args []string, prog *progress) error {
	folder, err := r.folderArg(args, "publish")
	if err != nil {
		return err
	}
	if r.rescan < 0 {
		return usageErrorf("--rescan %v: want 0 (only on SIGHUP) or more", r.rescan)
	}
	cfg := &c.cfg
	cfg.Dir = r.endpoint() + " " + folder
	say := func(s string) { cfg.Logger.Warn(s) }
	cfg.Scan, cfg.Rescan, cfg.Watch = r.scanner(folder, say), r.rescan, false
	if cfg.Cache = c.cache; cfg.Cache == "" && !c.noCache {
		cfg.Cache = remoteCachePath(st.getenv, r.endpoint(), folder)
	}
	if c.noCache {
		cfg.Cache = ""
	}
	return c.publish(ctx, prog)
}

// remoteCachePath is the scan cache of a library read through a
// ventilator, beside those of local folders, or "" without a cache folder.
func remoteCachePath(getenv func(string) string, endpoint, folder string) string {
	local := defaultCachePath(getenv, ".")
	if local == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(endpoint + "\x00" + folder))
	return filepath.Join(filepath.Dir(local), "remote-"+hex.EncodeToString(sum[:8])+".cache")
}

// publish runs the publisher that c.cfg describes, counting the first
// scan's tracks on prog. A library read by cfg.Scan is read again on
// SIGHUP.
func (c *publishCmd) publish(ctx context.Context, prog *progress) error {
	cfg := &c.cfg
	cfg.OnTrack, cfg.OnScanned = func(library.Track) { prog.add() }, prog.done
	p, err := publisher.New(*cfg)
	if err != nil {
		return publishError(cfg.Dir, err)
	}
	if cfg.Scan != nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		defer wg.Wait()
		defer close(stop)
		wg.Go(func() {
			for {
				select {
				case <-hup:
					cfg.Logger.Info("SIGHUP: reading the library again")
					p.Rescan()
				case <-stop:
					return
				}
			}
		})
	}
	announceOpen(cfg.Logger, "the feed", cfg.Bind)
	prog.start("scanning")
	return publishError(cfg.Dir, p.Run(ctx))
}
