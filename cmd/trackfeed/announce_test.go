package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestAnnounceOpen(t *testing.T) {
	for _, tc := range []struct {
		binds []string
		want  string // "" for no line
	}{
		{[]string{"tcp://*:10001"}, `msg="the feed is open on every interface of this machine; from another one, try: trackfeed subscribe -c tcp://`},
		{[]string{"tcp://0.0.0.0:5555"}, ":5555\" bind=tcp://0.0.0.0:5555\n"},
		{[]string{"ipc:///tmp/x.sock", "tcp://[::]:7"}, ":7\" bind=tcp://[::]:7\n"},
		{[]string{"tcp://127.0.0.1:10001"}, ""},
		{[]string{"tcp://localhost:10001", "ipc:///tmp/x.sock"}, ""},
	} {
		var buf bytes.Buffer
		announceOpen(slog.New(slog.NewTextHandler(&buf, nil)), "the feed", tc.binds)
		if got := buf.String(); tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || strings.Count(got, "\n") != 1) {
			t.Errorf("binds %q: logged %q, want one line with %q", tc.binds, got, tc.want)
		}
	}
}
