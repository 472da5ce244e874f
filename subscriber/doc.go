// Package subscriber receives trackfeed's feed: it connects to one or more
// publishers, subscribes to topic prefixes, reconnects for as long as it
// runs, and hands each track to the caller.
package subscriber
