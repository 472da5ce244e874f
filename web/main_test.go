package web

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine of the server, the feed and the browser ends with its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
