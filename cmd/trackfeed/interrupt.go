package main

import (
	"context"
	"strings"
)

// interrupted is the error of a command stopped by a signal before it
// finished: exit status 128 + the signal's number, 130 for SIGINT, 143
// for SIGTERM, as a shell reports it.
func interrupted(ctx context.Context) error {
	code := 130
	if cause := context.Cause(ctx); cause != nil && strings.HasPrefix(cause.Error(), "terminated") {
		code = 143
	}
	return &exitError{code: code}
}
