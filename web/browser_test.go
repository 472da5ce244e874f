package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
)

// chromium is where Debian's chromium package puts the browser.
const chromium = "/usr/bin/chromium"

var screenshots = flag.String("screenshots", "", "write the browser test's screenshots to `DIR` (default: the test's temporary directory)")

// TestBrowser opens the page in headless Chromium, following a real feed
// (a publisher of a folder of MP3s): a track shows within 2 s; typing a
// prefix with the keyboard filters what follows; the text has enough
// contrast in both colour schemes and fits a phone; when the server
// restarts the page says it is reconnecting, then goes live again by
// itself; picking an artist shows the cover art of its track, at 1280 and
// 390 pixels wide, and one without shows the drawn record; and when the
// publisher stops, the page says the feed is offline.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		msg := "install chromium and chromium-driver: apt-get install -y chromium chromium-driver"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (%v): %s", chromium, err, msg)
		}
		t.Skipf("%s not found: %s", chromium, msg)
	}
	ctx := testContext(t, 2*time.Minute)
	pub, stopFeed, covers := startCoverFeed(t, 50*time.Millisecond)
	feed := pub.Endpoints()[0]
	opts := Options{Retry: 500 * time.Millisecond, Query: pub.QueryEndpoints()[0]}
	web := startWebOpts(t, ctx, "127.0.0.1:0", feed, opts)

	b := newBrowser(t, ctx)
	b.do(chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulatePortrait))

	start := time.Now()
	b.do(chromedp.Navigate(web.url))
	b.poll(2*time.Second, "a track, live",
		`document.querySelector("#now .now-title")?.textContent && document.getElementById("status").dataset.state === "live"`)
	t.Logf("first track shown %v after navigating", time.Since(start).Round(time.Millisecond))
	if run(b, chromedp.Evaluate[bool](`document.querySelector(".now-progress") !== null`)) {
		t.Error("a progress bar on a feed at a fixed interval")
	}
	// One script reads the artist: the node is replaced at every track.
	artist := run(b, chromedp.Evaluate[string](`document.querySelector("#now .now-artist").textContent`))
	if !isFeedArtist(artist) {
		t.Errorf("current artist %q is not one of the feed's", artist)
	}
	b.poll(5*time.Second, "a list of tracks played before", `document.querySelectorAll("#recent li").length >= 3`)
	b.checkPage("phone, light")
	b.screenshot("phone-light")
	b.scheme("dark")
	b.checkPage("phone, dark")
	b.screenshot("phone-dark")
	b.scheme("light")

	// Keyboard only: Tab reaches the box first, then type and press Enter.
	// From then on, note every artist the page shows as playing.
	b.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(), window.__seen = [],
		new MutationObserver(() => {
			if (document.body.dataset.prefix !== "the_") return;
			const a = document.querySelector("#now .now-artist");
			if (a) window.__seen.push(a.textContent);
		}).observe(document.getElementById("now"), {childList: true})`))
	b.do(chromedp.KeyEvent("\t"))
	if id := run(b, chromedp.Evaluate[string](`document.activeElement.id`)); id != "prefix" {
		t.Fatalf("Tab focused #%s, want the prefix box", id)
	}
	b.do(chromedp.KeyEvent("the_\r"))
	b.poll(5*time.Second, "the page subscribed to the_",
		`document.body.dataset.prefix === "the_" && document.getElementById("status").dataset.state === "live"`)
	listed := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#now .now-artist, #recent .r-by")].map(e => e.textContent)`))
	for _, a := range listed {
		if !strings.HasPrefix(a, "The ") {
			t.Errorf("with prefix the_, the page shows %q", a)
		}
	}
	seen := run(b, chromedp.Poll[[]string](`window.__seen.length >= 5 && window.__seen`, chromedp.WithPollingTimeout(5*time.Second)))
	for _, a := range seen {
		if !strings.HasPrefix(a, "The ") {
			t.Errorf("with prefix the_, %q played", a)
		}
	}
	t.Logf("after typing the_: %q", seen)
	if u := run(b, chromedp.Evaluate[string](`location.search`)); u != "?prefix=the_" {
		t.Errorf("address has %q, want ?prefix=the_ (to reload or share the filtered page)", u)
	}

	b.do(chromedp.EmulateViewport(1280, 800))
	b.checkPage("desktop, light")
	b.screenshot("desktop-light")
	b.scheme("dark")
	b.screenshot("desktop-dark")
	b.scheme("light")

	// Restart the server on the same address: the page says so, then
	// reconnects by itself, with its prefix, and fetches the list again.
	addr := strings.TrimPrefix(web.url, "http://")
	if err := web.stop(); err != nil {
		t.Fatal(err)
	}
	b.poll(5*time.Second, "the page to say it is reconnecting",
		`document.getElementById("status").dataset.state === "reconnecting" && document.getElementById("status").textContent === "Reconnecting…"`)
	b.screenshot("desktop-reconnecting")
	web = startWebOpts(t, ctx, addr, feed, opts)
	b.poll(10*time.Second, "the page to reconnect",
		`document.getElementById("status").dataset.state === "live" && document.querySelectorAll("#recent li").length >= 2`)
	if n := value(t, web.metrics.reconnects); n < 1 {
		t.Errorf("the new server counted %v reconnects, want the page's", n)
	}
	listed = run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#now .now-artist, #recent .r-by")].map(e => e.textContent)`))
	for _, a := range listed {
		if !strings.HasPrefix(a, "The ") {
			t.Errorf("after reconnecting, the page shows %q", a)
		}
	}

	// The prefix box offers the publisher's artists; picking a name (here
	// typed whole, as choosing it from the list does) filters by its topic.
	b.poll(5*time.Second, "the list of artists to pick from",
		`[...document.querySelectorAll("#artists option")].map(o => o.value).includes("The Cure")`)
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("prefix").value = "", document.getElementById("prefix").focus()`))
	b.do(chromedp.KeyEvent("The Cure\r"))
	b.poll(5*time.Second, "the page to show The Cure only",
		`document.body.dataset.prefix === "The Cure" && document.querySelector("#now .now-artist")?.textContent === "The Cure" &&
		 [...document.querySelectorAll("#recent .r-by")].every(e => e.textContent.startsWith("The Cure"))`)
	b.screenshot("desktop-artist-picked")

	// The Cure's track shows its cover, at both widths: the picture of
	// the track's cover ID, loaded, drawn with its own pixels, and large.
	b.checkCover(covers["The Cure"], coverArt["The Cure"], "desktop")
	b.screenshot("desktop-cover")
	b.do(chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	b.checkCover(covers["The Cure"], coverArt["The Cure"], "phone")
	b.checkPage("phone, cover")
	b.screenshot("phone-cover")
	b.do(chromedp.EmulateViewport(1280, 800))

	// An artist whose track has no cover: the drawn record, no picture.
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("prefix").value = "", document.getElementById("prefix").focus()`))
	b.do(chromedp.KeyEvent("Björk\r"))
	b.poll(5*time.Second, "the page to show Björk and the drawn record",
		`document.querySelector("#now .now-artist")?.textContent === "Björk" &&
		 document.getElementById("cover").dataset.state === "none" &&
		 document.querySelector("#cover .cover-none").getBoundingClientRect().width > 100 &&
		 document.getElementById("cover-img").getBoundingClientRect().width === 0`)
	b.screenshot("desktop-no-cover")
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("prefix").value = "", document.getElementById("prefix").focus()`))
	b.do(chromedp.KeyEvent("The Cure\r"))
	b.checkCover(covers["The Cure"], coverArt["The Cure"], "desktop, again")

	// The publisher stops: the badge says the feed is offline, and since
	// when, and the track shown is the last played, not "now playing".
	stopFeed()
	b.poll(5*time.Second, "the page to say the feed is offline",
		`document.getElementById("status").dataset.state === "offline" &&
		 document.getElementById("status").textContent.startsWith("Feed offline since ") &&
		 document.getElementById("now-heading").textContent === "Last played"`)
	b.screenshot("desktop-feed-offline")
	b.do(chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	b.checkPage("phone, feed offline")
	b.screenshot("phone-feed-offline")
	b.checkErrors()
}

// TestBrowserProgress: a feed that holds each track for its duration
// (publish --pace real) gets a progress bar that moves, and the duration
// in the details line, at desktop and phone widths.
func TestBrowserProgress(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		msg := "install chromium and chromium-driver: apt-get install -y chromium chromium-driver"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (%v): %s", chromium, err, msg)
		}
		t.Skipf("%s not found: %s", chromium, msg)
	}
	ctx := testContext(t, time.Minute)
	tracks := slices.Clone(feedTracks)
	for i := range tracks {
		tracks[i].Duration = 10*time.Minute + 5*time.Second
		tracks[i].Disc = 2
	}
	// The first track holds for ten minutes: the page has it from the
	// query socket, not the feed.
	pub := publishertest.Start(t, publisher.Config{Tracks: tracks, Pace: publisher.PaceReal, Query: []string{"tcp://127.0.0.1:0"}})
	web := startWebOpts(t, ctx, "127.0.0.1:0", pub.Endpoints()[0], Options{Query: pub.QueryEndpoints()[0]})
	b := newBrowser(t, ctx)
	b.do(chromedp.EmulateViewport(1280, 800))
	b.do(chromedp.Navigate(web.url))
	b.poll(5*time.Second, "a track with its progress bar",
		`document.querySelector("#now .now-progress")?.value > 0 && document.querySelector("#now .now-progress").max === 605000`)
	details := run(b, chromedp.Evaluate[string](`document.querySelector("#now .now-details").textContent`))
	if !strings.Contains(details, "disc 2") || !strings.HasSuffix(details, "10:05") {
		t.Errorf("details %q: want the disc and the duration 10:05", details)
	}
	first := run(b, chromedp.Evaluate[float64](`document.querySelector("#now .now-progress").value`))
	b.poll(5*time.Second, "the progress bar to move",
		fmt.Sprintf(`document.querySelector("#now .now-progress").value > %v &&
		 /^0:0\d of 10:05$/.test(document.querySelector("#now .now-progress").getAttribute("aria-valuetext"))`, first))
	b.checkPage("desktop, progress")
	b.screenshot("desktop-progress")
	b.do(chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	b.checkPage("phone, progress")
	b.screenshot("phone-progress")
	b.checkErrors()
}

func isFeedArtist(a string) bool {
	for _, tr := range feedTracks {
		if tr.Artist == a {
			return true
		}
	}
	return false
}

// browser is one tab of a headless Chromium, for one test.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // where screenshots go

	mu     sync.Mutex
	errors []string // script errors and console errors, network ones aside
}

func newBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Chromium phones home at start; on a closed network that stalls.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before TempDir's cleanup
	})
	b := &browser{t: t, ctx: bctx, dir: *screenshots}
	if b.dir == "" {
		b.dir = t.TempDir()
	} else if err := os.MkdirAll(b.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Listen(bctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *cdplog.EventEntryAdded:
			// Refused connections while the server restarts are expected.
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				msg = fmt.Sprintf("console %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				msg = "console.error called"
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return b
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// run runs one action and returns its value, failing the test on error.
func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// poll waits up to d for the JavaScript expression cond to be true.
func (b *browser) poll(d time.Duration, what, cond string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(d)))
	if err != nil {
		b.checkErrors()
		b.t.Fatalf("waiting %v for %s: %v\npage text:\n%s", d, what, err, b.text())
	}
}

func (b *browser) text() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	return s
}

// scheme switches prefers-color-scheme.
func (b *browser) scheme(s string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}},
	}); err != nil {
		b.t.Fatal(err)
	}
	if got := run(b, chromedp.Evaluate[bool](`matchMedia("(prefers-color-scheme: `+s+`)").matches`)); !got {
		b.t.Fatalf("prefers-color-scheme: %s not in effect", s)
	}
}

// screenshot writes the whole page as name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100))
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// checkPage checks what a reader needs: WCAG AA contrast (4.5:1) for
// every visible piece of text against the background it sits on, a label
// for the box, a live region for the current track, and nothing wider
// than the window.
func (b *browser) checkPage(where string) {
	b.t.Helper()
	problems := run(b, chromedp.Evaluate[[]string](checkPageJS))
	for _, p := range problems {
		b.t.Errorf("%s: %s", where, p)
	}
}

// checkCover waits for the page to show the cover whose ID is id, and
// checks that the browser drew the pixels of picture (a PNG): a few
// points, against Go's decoding of the same file.
func (b *browser) checkCover(id string, picture []byte, where string) {
	b.t.Helper()
	b.poll(5*time.Second, where+": the cover "+id+", loaded and shown",
		`(() => {
			const fig = document.getElementById("cover"), img = document.getElementById("cover-img");
			return fig.dataset.state === "shown" && fig.dataset.cover === `+strconv.Quote(id)+` &&
				img.complete && img.naturalWidth > 0 && img.getAttribute("src").endsWith("/cover/`+id+`") &&
				img.getBoundingClientRect().width >= 140 && img.getBoundingClientRect().width <= 260;
		})()`)
	img, err := png.Decode(bytes.NewReader(picture))
	if err != nil {
		b.t.Fatal(err)
	}
	size := img.Bounds().Dx()
	points := [][2]int{{5, 5}, {size / 2, size / 2}, {size/2 + size/8, size / 2}, {size - 5, size - 5}, {size / 4, size - 20}}
	js, _ := json.Marshal(points)
	got := run(b, chromedp.Evaluate[[][]int](`(() => {
		const img = document.getElementById("cover-img");
		const c = document.createElement("canvas");
		c.width = img.naturalWidth;
		c.height = img.naturalHeight;
		const g = c.getContext("2d");
		g.drawImage(img, 0, 0);
		return `+string(js)+`.map(([x, y]) => [...g.getImageData(x, y, 1, 1).data.slice(0, 3)]);
	})()`))
	for i, p := range points {
		r, g, bl, _ := img.At(p[0], p[1]).RGBA()
		want := []int{int(r >> 8), int(g >> 8), int(bl >> 8)}
		if len(got) <= i || len(got[i]) != 3 || !near(got[i], want, 3) {
			b.t.Errorf("%s: the cover's pixel at %v is %v in the page, %v in the picture", where, p, got, want)
		}
	}
	if w := run(b, chromedp.Evaluate[int](`document.getElementById("cover-img").naturalWidth`)); w != size {
		b.t.Errorf("%s: the cover is %d pixels wide in the page, %d in the picture", where, w, size)
	}
}

// near reports whether two colours differ by at most d in each channel.
func near(a, b []int, d int) bool {
	for i := range a {
		if a[i]-b[i] > d || b[i]-a[i] > d {
			return false
		}
	}
	return true
}

// checkErrors fails the test for script and console errors so far.
func (b *browser) checkErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		b.t.Errorf("in the page: %s", e)
	}
	b.errors = nil
}

const checkPageJS = `(() => {
	const problems = [];
	const rgb = (s) => {
		const m = s.match(/rgba?\(([\d.]+),?\s*([\d.]+),?\s*([\d.]+)(?:[,\s/]+([\d.]+))?/);
		return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
	};
	const lum = ([r, g, b]) => {
		const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
	};
	const background = (el) => {
		for (let e = el; e; e = e.parentElement) {
			const c = rgb(getComputedStyle(e).backgroundColor);
			if (c && c[3] > 0.99) return c;
		}
		return rgb(getComputedStyle(document.documentElement).backgroundColor) || [255, 255, 255, 1];
	};
	const texts = document.querySelectorAll("p, h1, h2, label, button, input, li span, time, code");
	for (const el of texts) {
		if (!el.offsetParent && el.tagName !== "BODY") continue;
		const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || el.tagName === "INPUT";
		if (!own) continue;
		const fg = rgb(getComputedStyle(el).color), bg = background(el);
		const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
		const ratio = (hi + 0.05) / (lo + 0.05);
		if (ratio < 4.5) problems.push("contrast " + ratio.toFixed(2) + ":1 for " + el.tagName.toLowerCase() + "." + el.className + " " + JSON.stringify(el.textContent.trim().slice(0, 30)));
	}
	const input = document.getElementById("prefix");
	if (input.labels.length !== 1 || !input.labels[0].textContent.trim()) problems.push("the prefix box has no label");
	const now = document.getElementById("now");
	if (now.getAttribute("aria-live") !== "polite") problems.push("the current track is not a polite live region");
	if (document.documentElement.lang !== "en") problems.push("no lang on <html>");
	if (document.documentElement.scrollWidth > window.innerWidth) problems.push("page is " + document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window");
	if (document.querySelectorAll("h1").length !== 1) problems.push("want one h1");
	return problems;
})()`

// TestBrowserCoverMissing: a cover the server cannot get (its query socket
// does not answer) leaves the drawn record, whether the picture was in
// the page as served or came with a track on the stream.
func TestBrowserCoverMissing(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found: install chromium and chromium-driver", chromium)
	}
	ctx := testContext(t, time.Minute)
	s, ts := startServer(t, Options{Query: "tcp://127.0.0.1:1"})
	first := track(1, "The Cure")
	first.Cover = "0123456789abcdef"
	s.Publish(first)
	b := newBrowser(t, ctx)
	b.do(chromedp.Navigate(ts.URL))
	missing := `document.getElementById("cover").dataset.state === "none" &&
		document.querySelector("#cover .cover-none").getBoundingClientRect().width > 100 &&
		document.getElementById("cover-img").getBoundingClientRect().width === 0`
	b.poll(5*time.Second, "the drawn record in place of the page's cover", missing+
		` && document.querySelector("#now .now-title")?.textContent === "Song 1"`)
	next := track(2, "The Cure")
	next.Cover = "fedcba9876543210"
	s.Publish(next)
	b.poll(5*time.Second, "the drawn record in place of the stream's cover", missing+
		` && document.querySelector("#now .now-title")?.textContent === "Song 2" && document.getElementById("cover").dataset.want === "fedcba9876543210"`)
	b.checkErrors()
}
