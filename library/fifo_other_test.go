//go:build !unix

package library

import "errors"

// mkfifo makes a named pipe at path: not on this system.
func mkfifo(path string) error { return errors.ErrUnsupported }
