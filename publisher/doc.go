// Package publisher broadcasts a music library as a ZeroMQ PUB feed: one
// track every interval, as a five-frame message whose first frame is the
// artist's slug (docs/PROTOCOL.md).
//
// A Socket is the PUB endpoint (bind, accept, one bounded queue per
// subscriber); a Playlist decides the order; a Publisher ties them together
// on a ticker. A QueryServer is the REP endpoint beside the feed, which
// answers questions about it: the track playing now, the artists, counters.
package publisher
