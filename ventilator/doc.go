// Package ventilator is the broker of trackfeed's task system: it takes
// jobs from clients on its control socket (ROUTER), hands them to workers
// on its fan socket (PUSH) and passes each job's result, which the workers
// send to its sink socket (SUB), back to the client that asked
// (docs/PROTOCOL.md, "Task system").
//
// It holds only the jobs queued and in flight: the client holds its task's
// frontier. Each worker connection is given at most task.Credit jobs at a
// time; a job whose worker leaves, or that has no result within the job
// timeout, goes to another; a client that leaves takes its queued jobs
// with it.
package ventilator
