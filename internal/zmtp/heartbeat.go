package zmtp

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// ErrSilent is Heartbeat.ReadMsg's error when the peer has said nothing
// for three heartbeats.
var ErrSilent = errors.New("silent")

// Heartbeat reads from a peer that is expected to speak regularly, such
// as a publisher to its subscriber: when the peer has been quiet for
// Interval, it has a PING sent (ZMTP 3.1, TTL three intervals); when it
// has been quiet for three, it gives the connection up. Any message or
// command counts as speaking. The zero value is not usable: set Interval.
type Heartbeat struct {
	Interval time.Duration

	heard    time.Time // when the peer last spoke
	deadline time.Time // the read deadline set last
	pinged   bool      // a PING is out since the peer last spoke
}

// ReadMsg is c.ReadMsg with the heartbeat: it returns the next message or
// command, calling ping with a PING command's wire form when one is due
// (ping's error ends the read). After three intervals of silence it fails
// with an error that says so. It uses c's read deadline, moving it only
// when it is off by a tenth of an interval, so that a busy feed does not
// pay for it on every message; ReadMsg resumes after a timeout, so a stall
// in the middle of a message costs nothing.
func (h *Heartbeat) ReadMsg(c *Conn, ping func(cmd []byte) error) (frames [][]byte, command bool, err error) {
	hb := h.Interval
	if h.heard.IsZero() {
		h.heard = time.Now()
	}
	for {
		want := h.heard.Add(hb)
		if h.pinged {
			want = h.heard.Add(3 * hb)
		}
		if d := want.Sub(h.deadline); d > hb/10 || d < -hb/10 {
			if err := c.nc.SetReadDeadline(want); err != nil {
				return nil, false, err
			}
			h.deadline = want
		}
		frames, command, err := c.ReadMsg()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			if quiet := time.Since(h.heard); quiet >= 3*hb {
				return nil, false, fmt.Errorf("%w for %v (3 heartbeats), PING unanswered", ErrSilent, quiet.Round(time.Millisecond))
			} else if h.pinged || quiet < hb {
				continue
			}
			ttl := uint16(min(3*hb/(100*time.Millisecond), 0xffff)) // deciseconds
			if err := ping(AppendCommand(nil, "PING", []byte{byte(ttl >> 8), byte(ttl)})); err != nil {
				return nil, false, err
			}
			h.pinged = true
			continue
		case err != nil:
			return nil, false, err
		}
		h.heard, h.pinged = time.Now(), false
		return frames, command, nil
	}
}
