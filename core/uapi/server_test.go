package uapi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// fakeHandler is a Handler with a tiny configuration model: enough to see a
// set reflected in the next get.
type fakeHandler struct {
	mu     sync.Mutex
	dev    wgtypes.Device
	sets   int
	setErr error // returned by Set without applying
	getErr error
}

func (f *fakeHandler) Get() (*wgtypes.Device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	d := f.dev
	d.Peers = append([]wgtypes.Peer(nil), f.dev.Peers...)
	return &d, nil
}

func (f *fakeHandler) Set(cfg wgtypes.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	f.sets++
	if cfg.PrivateKey != nil {
		f.dev.PrivateKey = *cfg.PrivateKey
	}
	if cfg.ListenPort != nil {
		f.dev.ListenPort = *cfg.ListenPort
	}
	if cfg.FirewallMark != nil {
		f.dev.FirewallMark = *cfg.FirewallMark
	}
	if cfg.ReplacePeers {
		f.dev.Peers = nil
	}
	for _, pc := range cfg.Peers {
		p := wgtypes.Peer{PublicKey: pc.PublicKey, ProtocolVersion: 1, AllowedIPs: pc.AllowedIPs}
		if pc.Endpoint != nil {
			p.Endpoint = *pc.Endpoint
		}
		f.dev.Peers = append(f.dev.Peers, p)
	}
	return nil
}

func (f *fakeHandler) snapshot() (wgtypes.Device, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.dev
	d.Peers = append([]wgtypes.Peer(nil), f.dev.Peers...)
	return d, f.sets
}

// pipeServer serves h on one end of a net.Pipe and returns the other end
// and a channel closed when Serve returns.
func pipeServer(t *testing.T, h Handler) (net.Conn, *bufio.Reader, <-chan struct{}) {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		Serve(server, h)
	}()
	t.Cleanup(func() {
		client.Close()
		<-done
	})
	client.SetDeadline(time.Now().Add(10 * time.Second))
	return client, bufio.NewReader(client), done
}

// roundTrip writes req and reads a reply up to its empty line.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, req string) string {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write %q: %v", req, err)
	}
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			t.Fatalf("reply to %q: %q, then %v", req, b.String(), err)
		}
		if line == "\n" {
			return b.String()
		}
	}
}

func expectClosed(t *testing.T, r *bufio.Reader, done <-chan struct{}) {
	t.Helper()
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Errorf("after close: read %q, %v; want nothing and EOF", rest, err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestServeSequence(t *testing.T) {
	h := &fakeHandler{}
	c, r, done := pipeServer(t, h)

	if got := roundTrip(t, c, r, "get=1\n\n"); got != "errno=0\n\n" {
		t.Errorf("first get: %q", got)
	}
	set := "set=1\nlisten_port=51820\npublic_key=" + hexPub + "\nendpoint=[2001:db8::1]:51820\nallowed_ip=10.0.0.2/32\n\n"
	if got := roundTrip(t, c, r, set); got != "errno=0\n\n" {
		t.Errorf("set: %q", got)
	}
	wantGet := "listen_port=51820\npublic_key=" + hexPub + "\npreshared_key=" + hexZero +
		"\nprotocol_version=1\nendpoint=[2001:db8::1]:51820\nlast_handshake_time_sec=0\nlast_handshake_time_nsec=0\n" +
		"tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\nallowed_ip=10.0.0.2/32\nerrno=0\n\n"
	if diff := cmp.Diff(wantGet, roundTrip(t, c, r, "get=1\n\n")); diff != "" {
		t.Errorf("get after set (-want +got):\n%s", diff)
	}
	before, sets := h.snapshot()

	// A bad line late in a request applies nothing, and the connection
	// stays usable.
	bad := []struct{ req, reply string }{
		{"set=1\nlisten_port=1\nfwmark=2\npublic_key=" + hexPub2 + "\nallowed_ip=10.0.0.0/33\nendpoint=1.2.3.4:5\n\n", "errno=-22\n\n"},
		{"set=1\nprivate_key=" + hexPriv + "\nfwmark\n\n", "errno=-71\n\n"},
		{"set=1\nreplace_peers=true\npublic_key=" + hexPub + "\nlisten_port=5\n\n", "errno=-22\n\n"},
	}
	for _, b := range bad {
		if got := roundTrip(t, c, r, b.req); got != b.reply {
			t.Errorf("bad set %q: reply %q, want %q", b.req, got, b.reply)
		}
	}
	after, setsAfter := h.snapshot()
	if setsAfter != sets {
		t.Errorf("Handler.Set called %d times for bad requests", setsAfter-sets)
	}
	if diff := cmp.Diff(before, after, cmpOpts...); diff != "" {
		t.Errorf("bad requests changed the device (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantGet, roundTrip(t, c, r, "get=1\n\n")); diff != "" {
		t.Errorf("get after bad sets (-want +got):\n%s", diff)
	}

	// Handler errors map to errnos.
	for _, tc := range []struct {
		err   error
		reply string
	}{
		{errorf(EADDRINUSE, "bind: port taken"), fmt.Sprintf("errno=-%d\n\n", EADDRINUSE)},
		{fmt.Errorf("apply: %w", syscall.EADDRINUSE), fmt.Sprintf("errno=-%d\n\n", EADDRINUSE)},
		{errors.New("something else"), "errno=-55\n\n"},
	} {
		h.mu.Lock()
		h.setErr = tc.err
		h.mu.Unlock()
		if got := roundTrip(t, c, r, "set=1\nlisten_port=1\n\n"); got != tc.reply {
			t.Errorf("Set error %v: reply %q, want %q", tc.err, got, tc.reply)
		}
	}
	c.Close()
	<-done
}

func TestServeGetErrorPositive(t *testing.T) {
	for _, tc := range []struct {
		err   error
		reply string
	}{
		{errorf(EIO, "tun gone"), fmt.Sprintf("errno=%d\n\n", EIO)},
		{errors.New("other"), "errno=55\n\n"},
	} {
		h := &fakeHandler{getErr: tc.err}
		c, r, _ := pipeServer(t, h)
		if got := roundTrip(t, c, r, "get=1\n\n"); got != tc.reply {
			t.Errorf("Get error %v: reply %q, want %q", tc.err, got, tc.reply)
		}
		// Still usable.
		if got := roundTrip(t, c, r, "set=1\n\n"); got != "errno=0\n\n" {
			t.Errorf("set after failed get: %q", got)
		}
	}
}

func TestServeGetTrailingGarbage(t *testing.T) {
	h := &fakeHandler{}
	c, r, done := pipeServer(t, h)
	if got := roundTrip(t, c, r, "get=1\nx\n"); got != fmt.Sprintf("errno=%d\n\n", EINVAL) {
		t.Errorf("reply %q, want a positive EINVAL", got)
	}
	expectClosed(t, r, done)
}

func TestServeInvalidOperation(t *testing.T) {
	for _, op := range []string{"got=1\n", "get=1 \n", "set=1\r\n", "set=2\n", "\n", "get\n", strings.Repeat("x", 5000) + "\n"} {
		h := &fakeHandler{}
		c, r, done := pipeServer(t, h)
		// A valid request first, to show the loop closes mid-connection.
		if got := roundTrip(t, c, r, "get=1\n\n"); got != "errno=0\n\n" {
			t.Fatalf("get: %q", got)
		}
		go io.WriteString(c, op+"get=1\n\n")
		expectClosed(t, r, done)
		if _, sets := h.snapshot(); sets != 0 {
			t.Errorf("op %q: Set called", op)
		}
	}
}

// scriptConn feeds a fixed input and records the output.
type scriptConn struct {
	io.Reader
	out    bytes.Buffer
	closed bool
}

func (s *scriptConn) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s *scriptConn) Close() error                { s.closed = true; return nil }

func TestServeScript(t *testing.T) {
	tests := []struct {
		name, in, out string
		sets          int
	}{
		{"eof ends a set", "set=1\nlisten_port=5", "errno=0\n\n", 1},
		{"eof after get=1", "get=1\n", "", 0},
		{"eof inside an op line", "get=", "", 0},
		{"several ops in one write", "set=1\n\nset=1\nfwmark=1\n\nget=1\n\n", "errno=0\n\nerrno=0\n\nfwmark=1\nerrno=0\n\n", 2},
		{"ops after an error", "set=1\nx=1\npublic_key=zz\n\nset=1\n\n", "errno=-22\n\nerrno=0\n\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHandler{}
			conn := &scriptConn{Reader: strings.NewReader(tt.in)}
			Serve(conn, h)
			if got := conn.out.String(); got != tt.out {
				t.Errorf("output %q, want %q", got, tt.out)
			}
			if !conn.closed {
				t.Error("conn not closed")
			}
			if _, sets := h.snapshot(); sets != tt.sets {
				t.Errorf("%d sets, want %d", sets, tt.sets)
			}
		})
	}
}

func TestServeLogf(t *testing.T) {
	var logs []string
	s := &Server{Handler: &fakeHandler{}, Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }}
	s.ServeConn(&scriptConn{Reader: strings.NewReader("set=1\nlisten_port=x\n\nbogus\n")})
	if len(logs) != 2 || !strings.Contains(logs[0], "listen_port") || !strings.Contains(logs[1], `invalid operation "bogus"`) {
		t.Errorf("logs = %q", logs)
	}
}
