// Package query is the query socket that stands beside a feed: a ZeroMQ
// REP endpoint (Server) that answers "now", "artists [PREFIX]", "stats"
// and "hello NAME" from a Source, and the REQ side that asks it (Client).
// docs/PROTOCOL.md ("Query socket") is the contract; any REQ or DEALER
// socket in any language can ask.
package query
