// Package publisher is a trackfeed publisher you can run or embed: it
// scans a music folder (or takes a list of tracks) and broadcasts one track
// every interval on a ZeroMQ PUB feed, each message under its artist's
// topic (docs/PROTOCOL.md), with a query socket beside it.
//
// A Publisher owns the whole life of the feed: New binds the endpoints,
// Run plays the scan cache, scans while broadcasting, follows the folder's
// changes, saves the cache, and stops cleanly when its context ends. Every
// goroutine it starts has ended when Run returns. A Playlist decides the
// order.
package publisher
