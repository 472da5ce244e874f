// Package worker is a worker of trackfeed's task system: it runs where the
// library lives, takes jobs from a ventilator's fan socket (PULL), lists
// folders and reads files under its ROOT as a local scan would, and sends
// each job's result to the ventilator's sink socket (PUB)
// (docs/PROTOCOL.md, "Task system").
//
// No job reaches outside ROOT: paths with "..", absolute paths and
// symbolic links that lead out are refused (the file system is an
// os.Root).
package worker
