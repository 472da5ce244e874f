package query_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/subscriber"
)

var (
	ownPicture  = librarytest.PNG(librarytest.CoverImage(32, color.RGBA{200, 40, 40, 255}, color.RGBA{90, 0, 0, 255}))
	folderImage = librarytest.JPEG(librarytest.CoverImage(32, color.RGBA{40, 40, 200, 255}, color.RGBA{0, 0, 90, 255}))
)

// coverLibrary writes a library of a track with its own picture, one with
// its folder's image, one with neither, and one whose folder's image is
// larger than a reply carries.
func coverLibrary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mp3 := func(title string, picture []byte) []byte {
		tag := librarytest.ID3v2{Version: 3, Frames: []librarytest.Frame{{ID: "TPE1", Text: "Artist"}, {ID: "TIT2", Text: title}}, Cover: picture}
		return append(tag.Append(nil), librarytest.Silence(2000)...)
	}
	huge := append(bytes.Clone(folderImage), make([]byte, query.MaxCover)...)
	for name, data := range map[string][]byte{
		"Artist/Own/01 Own.mp3":       mp3("Own", ownPicture),
		"Artist/Folder/01 Folder.mp3": mp3("Folder", nil),
		"Artist/Folder/cover.jpg":     folderImage,
		"Artist/None/01 None.mp3":     mp3("None", nil),
		"Artist/Huge/01 Huge.mp3":     mp3("Huge", nil),
		"Artist/Huge/folder.jpg":      huge,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// byTitle waits for the publisher's scan and returns its tracks by title.
func byTitle(t *testing.T, p *publisher.Publisher) map[string]library.Track {
	t.Helper()
	select {
	case <-p.Scanned():
	case <-time.After(10 * time.Second):
		t.Fatal("no scan within 10s")
	}
	m := map[string]library.Track{}
	for _, tr := range p.Tracks() {
		m[tr.Title] = tr
	}
	return m
}

// TestQueryCover asks a publisher of a real folder for its covers over
// the query socket: each picture's bytes and type; clear errors, which
// name no file, for an unknown ID, a picture too large, and a request
// without an ID.
func TestQueryCover(t *testing.T) {
	p := publishertest.Start(t, publisher.Config{Dir: coverLibrary(t), Interval: time.Hour, Query: []string{"tcp://127.0.0.1:0"}})
	tracks := byTitle(t, p)
	cl := query.Client{Endpoint: p.QueryEndpoints()[0]}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	for _, tc := range []struct {
		title, mime string
		want        []byte
	}{
		{"Own", "image/png", ownPicture},
		{"Folder", "image/jpeg", folderImage},
	} {
		id := tracks[tc.title].Cover.ID
		if id == "" {
			t.Fatalf("%s: no cover ID", tc.title)
		}
		mime, data, err := cl.Cover(ctx, id)
		if err != nil || mime != tc.mime || !bytes.Equal(data, tc.want) {
			t.Errorf("cover of %s: %s, %d bytes, %v; want %s, %d bytes", tc.title, mime, len(data), err, tc.mime, len(tc.want))
		}
	}
	if c := tracks["None"].Cover; c != (library.Cover{}) {
		t.Errorf("a track with no picture has cover %+v", c)
	}

	for _, tc := range []struct {
		name, id, want string
	}{
		{"unknown ID", "0123456789abcdef", `cover "0123456789abcdef": no such cover`},
		{"too large", tracks["Huge"].Cover.ID, "the picture is larger than a reply carries (8 MiB)"},
	} {
		_, _, err := cl.Cover(ctx, tc.id)
		var qe *query.Error
		if !errors.As(err, &qe) || !strings.Contains(qe.Message, tc.want) {
			t.Errorf("%s: %v, want an error reply saying %q", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(qe.Message, "Artist/") || strings.Contains(qe.Message, ".jpg") {
			t.Errorf("%s: the error names a file: %q", tc.name, qe.Message)
		}
	}
	c := dial(t, p.QueryEndpoints()[0], zmq4.Req)
	if got := c.ask("cover"); len(got) != 2 || got[0] != "error" || !strings.HasPrefix(got[1], `cover: want an ID, as a track's "cover" field gives it`) {
		t.Errorf("cover without an ID: %q", got)
	}
	// In one frame, as a send_string() client sends it.
	if got := c.ask("cover " + tracks["Own"].Cover.ID); len(got) != 2 || got[0] != "image/png" || got[1] != string(ownPicture) {
		t.Errorf("cover ID in one frame: %d frames", len(got))
	}
}

// TestCoverOnTheFeed: a publisher of a folder sends each track's cover ID
// in frame 4 ("now" too); one of Tracks sends none, and says why it has
// no covers.
func TestCoverOnTheFeed(t *testing.T) {
	p := publishertest.Start(t, publisher.Config{Dir: coverLibrary(t), Interval: 5 * time.Millisecond, Query: []string{"tcp://127.0.0.1:0"}})
	tracks := byTitle(t, p)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	seen := map[string]string{}
	errSeen := errors.New("every track seen")
	err := subscriber.Run(ctx, subscriber.Options{Endpoints: p.Endpoints()}, func(tr subscriber.Track) error {
		seen[tr.Title] = tr.Cover
		if len(seen) == len(tracks) {
			return errSeen
		}
		return nil
	})
	if err != errSeen {
		t.Fatalf("subscriber: %v", err)
	}
	for title, tr := range tracks {
		if seen[title] != tr.Cover.ID {
			t.Errorf("%s: the feed says cover %q, the library %q", title, seen[title], tr.Cover.ID)
		}
	}
	now, err := query.Client{Endpoint: p.QueryEndpoints()[0]}.Now(ctx)
	if err != nil || now.Cover != tracks[now.Title].Cover.ID {
		t.Errorf("now: %+v, %v; want the cover of %q", now, err, now.Title)
	}

	// A publisher of tracks from elsewhere reads no folder: no cover IDs,
	// whatever the tracks say, and "cover" says why.
	withCover := []library.Track{{Path: "a.mp3", Artist: "A", Title: "T", Cover: library.Cover{ID: "0123456789abcdef"}}}
	q := publishertest.Start(t, publisher.Config{Tracks: withCover, Interval: time.Hour, Query: []string{"tcp://127.0.0.1:0"}})
	if now, _ := q.Now(); now.Cover != "" {
		t.Errorf("a publisher of Tracks sent cover %q", now.Cover)
	}
	c := dial(t, q.QueryEndpoints()[0], zmq4.Req)
	got := c.ask("cover", "0123456789abcdef")
	if len(got) != 2 || got[0] != "error" || !strings.Contains(got[1], "plays no music folder of its own") {
		t.Errorf("cover at a publisher of Tracks: %q", got)
	}
	if !reflect.DeepEqual(c.ask("hello", "x"), []string{"Hello x"}) {
		t.Error("the connection does not answer after the error")
	}
}

// pyzmqCover asks "cover ID" with a libzmq REQ and prints a line once it
// has sent the request (queued, if nothing is bound yet), then the reply's
// frames, the picture's in base64.
const pyzmqCover = `
import base64, json, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 10000)
s.connect(sys.argv[1])
s.send_multipart([b"cover", sys.argv[2].encode()])
print("sent", flush=True)
mime, data = s.recv_multipart()
print(json.dumps([mime.decode(), base64.b64encode(data).decode()]), flush=True)
`

// TestQueryCoverPyzmq: libzmq's REQ, through pyzmq, gets a cover's type
// and bytes, whether the publisher is up before it asks or binds its
// query socket after (the request waits in libzmq's queue).
func TestQueryCoverPyzmq(t *testing.T) {
	needPyzmq(t)
	dir := coverLibrary(t)
	// The same files give the same IDs: a scan says the cover's before any
	// publisher runs.
	lib, err := library.Scan(t.Context(), os.DirFS(dir), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, tr := range lib.Tracks {
		if tr.Title == "Own" {
			id = tr.Cover.ID
		}
	}
	start := func(ep string) {
		publishertest.Start(t, publisher.Config{Dir: dir, Interval: time.Hour, Query: []string{ep}})
	}
	for _, publisherFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "publisher first", false: "pyzmq first"}[publisherFirst], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			ep := "ipc://" + filepath.Join(t.TempDir(), "query")
			if publisherFirst {
				start(ep)
			}
			cmd := exec.CommandContext(ctx, python, "-c", pyzmqCover, ep, id)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "sent" {
				t.Fatalf("pyzmq: %q, %s", lines.Text(), stderr.String())
			}
			if !publisherFirst {
				start(ep)
			}
			var reply [2]string
			if !lines.Scan() || json.Unmarshal(lines.Bytes(), &reply) != nil {
				t.Fatalf("pyzmq printed %q: %s", lines.Text(), stderr.String())
			}
			if reply[0] != "image/png" || reply[1] != base64.StdEncoding.EncodeToString(ownPicture) {
				t.Errorf("pyzmq got %s, %d base64 bytes; want image/png, the picture", reply[0], len(reply[1]))
			}
			cmd.Wait()
		})
	}
}
