// Package remote scans a library through a ventilator's workers instead of
// reading it here: Scan is library.Scan for a folder that lives where the
// workers are (docs/PROTOCOL.md, "Task system"). It holds the task's
// frontier, the folders and files still to do, and sends them to the
// ventilator as jobs, a bounded number at a time; the library it returns
// is the one a local scan of the same folder gives, but for cover art: the
// pictures stay where the files are, and its tracks have no Cover.
package remote
