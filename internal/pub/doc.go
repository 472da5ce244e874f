// Package pub is trackfeed's ZeroMQ PUB socket: it binds, accepts
// subscribers (libzmq's SUB and XSUB, pyzmq's, trackfeed's own), keeps each
// one's subscriptions, and queues every message for each subscriber whose
// prefixes match its topic, on a bounded queue of its own, so that a slow
// or stalled subscriber never holds up the others.
package pub
