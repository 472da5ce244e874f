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
// Endpoints:
//
//	GET /                     the page (?prefix=P filters it, also without JavaScript)
//	GET /events?prefix=P      the event stream: "history", the feed's state ("feed"), then one "track" event a track
//	GET /healthz              200 "ok", or 503 once the feed has been down for Options.FeedGrace (see Server.Handler)
//	GET /metrics              Prometheus metrics of this server
//	GET /static/...           the page's CSS, JavaScript and icon
package web
