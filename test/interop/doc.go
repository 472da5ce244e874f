// Package interop holds tests, and only tests, that run trackfeed against
// other ZeroMQ implementations: libzmq through pyzmq (Debian's python3-zmq),
// through the C example in examples/subscribe.c, through Perl's ZMQ::FFI
// (libzmq-ffi-perl), through zeromq.js (the npm package, with a libzmq of
// its own; testdata/zeromqjs), and JeroMQ 0.3.6 (libjeromq-java), which
// speaks only ZMTP 2.0 and must be refused with one clear warning. They check the
// contract in docs/PROTOCOL.md from the outside: frames and JSON as a
// non-Go client sees them, prefixes, subscriptions made before and after a
// bind, heartbeats, foreign messages, and filtering on the publisher's side.
//
// Every test runs with the rest under 'go test ./...', over loopback TCP or
// ipc:// in a temporary directory, on ports the kernel picks. A test whose
// outside dependency is missing is skipped with the package to install,
// except when CI=true, where it fails.
package interop
