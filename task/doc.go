// Package task is the job/result protocol of trackfeed's task system, the
// contract between a client, the ventilator and its workers
// (docs/PROTOCOL.md, "Task system"): the frames of each message, the JSON
// bodies of jobs and results, their limits, and the conversions between
// those bodies and the library's types.
//
// The ventilator (package ventilator) takes jobs from clients (package
// remote) and hands them to workers (package worker), which list folders
// and read files where the library lives. Conn is the message connection
// all three use on top of the ZMTP transport.
package task
