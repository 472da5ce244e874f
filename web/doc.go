// Package web serves a live "now playing" page of trackfeed's feed: the
// current track, the tracks played before it, and a box that filters the
// page's feed by topic prefix, the way a ZeroMQ subscriber would.
//
// A Server takes tracks from Publish (or from the feed itself, with Follow
// or Run) and sends them to every open page as Server-Sent Events on
// /events. Each page has its own bounded buffer: a page that falls too far
// behind is dropped without delaying the others, and its browser
// reconnects by itself. The page is plain HTML, CSS and JavaScript
// embedded in the binary; it loads nothing from elsewhere.
//
// The page shows the current track's cover art, /cover/ID, ID being the
// track's "cover" field, or a drawn record when it has none. The server
// asks the publisher's query socket (Options.Query) for each picture once,
// keeps the recent ones in memory up to Options.CoverCache bytes, and lets
// browsers keep them for good: a new picture comes with a new ID.
//
// Endpoints:
//
//	GET /                     the page (?prefix=P filters it, also without JavaScript)
//	GET /events?prefix=P      the event stream: "history", the feed's state ("feed"), then one "track" event a track
//	GET /artists              the publisher's artists, as JSON, for the prefix box
//	GET /cover/ID             a track's cover art (its "cover" field), asked of Options.Query and cached
//	GET /healthz              200 "ok", or 503 once the feed has been down for Options.FeedGrace (see Server.Handler)
//	GET /metrics              Prometheus metrics of this server
//	GET /static/...           the page's CSS, JavaScript and icon
package web
