// Package relay carries a trackfeed feed further: a Relay subscribes
// upstream (to publishers, other relays, or libzmq's XSUB/XPUB proxy) on
// behalf of every subscriber below it, and forwards what comes down, byte
// for byte, to its own subscribers. It is ZeroMQ's forwarder device
// (zmq_proxy with an XSUB and an XPUB), built on trackfeed's transport, and
// interchangeable with libzmq's at any level of a tree.
//
// Upstream, a Relay dials Config.Connect (and redials them when they go)
// and accepts publishers that connect to Config.Listen. It is subscribed
// on each of them to the union of its subscribers' prefixes: a prefix goes
// up when the first subscriber below wants it and is cancelled when the
// last one leaves, so a publisher sends only what somebody wants.
//
// Downstream, it is internal/pub's PUB socket, with the publisher's rules:
// a queue per subscriber, a slow one loses messages, a stalled one is cut
// off, nobody waits.
//
// Beside it, a query socket (package query) answers "now" from the last
// message forwarded, per station, and "stats" from the relay's counters.
// It has no library: "artists" is empty, and "cover" says to ask the
// publisher, whose cover IDs the messages carry on unchanged.
package relay
