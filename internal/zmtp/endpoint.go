package zmtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrHostPort is wrapped by ParseEndpoint's error for a tcp:// endpoint
// without a HOST:PORT, so that a caller can add an example that fits the
// endpoint's use (one to connect to, or one to bind).
var ErrHostPort = errors.New("want tcp://HOST:PORT")

// ParseEndpoint splits a ZeroMQ endpoint (tcp://HOST:PORT or ipc://PATH) into
// a Go network and address. "*" as the host means every interface.
func ParseEndpoint(endpoint string) (network, address string, err error) {
	scheme, rest, ok := strings.Cut(endpoint, "://")
	switch {
	case !ok:
		return "", "", fmt.Errorf("endpoint %q: want tcp://HOST:PORT or ipc://PATH", endpoint)
	case scheme == "tcp":
		host, port, err := net.SplitHostPort(rest)
		if err != nil || port == "" {
			return "", "", fmt.Errorf("endpoint %q: %w", endpoint, ErrHostPort)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", "", fmt.Errorf("endpoint %q: port %q: want a number from 0 to 65535", endpoint, port)
		}
		if host == "*" {
			host = ""
		}
		return "tcp", net.JoinHostPort(host, port), nil
	case scheme == "ipc":
		if rest == "" {
			return "", "", fmt.Errorf("endpoint %q: want ipc://PATH, e.g. ipc:///tmp/trackfeed.sock", endpoint)
		}
		return "unix", rest, nil
	default:
		return "", "", fmt.Errorf("endpoint %q: unsupported transport %q (use tcp:// or ipc://)", endpoint, scheme)
	}
}

// Listen binds a ZeroMQ endpoint. For ipc://, a socket file left by a
// process that is gone is replaced, as libzmq does; one that answers is not.
func Listen(endpoint string) (net.Listener, error) {
	network, address, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if c, err := net.Dial("unix", address); err == nil {
			c.Close()
			return nil, fmt.Errorf("bind %s: another process is listening there (stop it or choose another path)", endpoint)
		} else if errors.Is(err, syscall.ECONNREFUSED) {
			os.Remove(address)
		}
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", endpoint, unwrapOp(err))
	}
	return l, nil
}

// Dial connects to a ZeroMQ endpoint.
func Dial(ctx context.Context, endpoint string) (net.Conn, error) {
	network, address, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return c, nil
}

// Endpoint turns a listener's address back into a ZeroMQ endpoint that a
// client on this host can connect to (tcp://127.0.0.1:PORT for a wildcard).
func Endpoint(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip := a.IP
		if ip == nil || ip.IsUnspecified() {
			ip = net.IPv4(127, 0, 0, 1)
		}
		return "tcp://" + net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
	case *net.UnixAddr:
		return "ipc://" + a.Name
	}
	return a.Network() + "://" + a.String()
}

// unwrapOp drops net.OpError's repetition of the address.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return sys.Err
		}
		return op.Err
	}
	return err
}
