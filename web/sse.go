package web

import (
	"strconv"
	"time"
)

// The page's event stream is text/event-stream, as the HTML standard
// defines it (https://html.spec.whatwg.org/multipage/server-sent-events.html).
// Every stream starts with
//
//	retry: 2000                  how long the browser waits before reconnecting, in ms
//	id: 41                       the id of the last track the server has seen
//	event: history
//	data: [{...}, {...}]         the current track and those before it, oldest first,
//	                             filtered by the stream's prefix
//
// and goes on with one event a track, each with the next id:
//
//	id: 42
//	event: track
//	data: {"topic":"the_cure","artist":"The Cure",...}
//
// The feed's state comes after the history and again on every change, as
// an event without an id (so it does not move Last-Event-ID):
//
//	event: feed
//	data: {"state":"live","since":"2026-12-02T09:40:00Z"}
//
// state is "connecting" (no connection yet), "live" (connected to a
// publisher) or "offline" (every connection lost, since since).
//
// A line starting with a colon is a comment that keeps a quiet stream
// open. Data is JSON on one line, so each event has one data line. A
// browser that reconnects sends the last id it saw as Last-Event-ID; the
// server counts those reconnects and sends the stream afresh, history
// first, so the page rebuilds its list from it.

// appendRetry appends the field that sets the browser's reconnection delay.
func appendRetry(b []byte, d time.Duration) []byte {
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, d.Milliseconds(), 10)
	return append(b, '\n')
}

// appendEvent appends one event. data must not hold a newline.
func appendEvent(b []byte, id uint64, name string, data []byte) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, "\nevent: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// appendStatus appends an event without an id. data must not hold a
// newline.
func appendStatus(b []byte, name string, data []byte) []byte {
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// appendHistory appends the history event: the events' tracks as a JSON
// array, with lastID as its id.
func appendHistory(b []byte, lastID uint64, history []*event) []byte {
	data := make([]byte, 0, 2+len(history)*320)
	data = append(data, '[')
	for i, e := range history {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, e.data...)
	}
	data = append(data, ']')
	return appendEvent(b, lastID, "history", data)
}

// keepAlive is a comment line that keeps a quiet stream open through
// proxies, and finds out a client that has gone.
const keepAlive = ": keep-alive\n\n"
