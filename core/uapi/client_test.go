package uapi

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/wgtypes"
)

func TestClientAgainstServer(t *testing.T) {
	h := &fakeHandler{}
	c, _, _ := pipeServer(t, h)
	var cl Client
	cfg := wgtypes.Config{
		ListenPort: ptr(51820), PrivateKey: keyPtr(t, hexPriv),
		Peers: []wgtypes.PeerConfig{{PublicKey: hexKey(t, hexPub), AllowedIPs: pfxs("10.0.0.0/24"),
			Endpoint: ptr(netip.MustParseAddrPort("192.0.2.1:51820"))}},
	}
	if err := cl.Set(c, cfg); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := cl.Get(c)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want, _ := h.Get()
	want.Type = wgtypes.Userspace
	want.PublicKey = want.PrivateKey.PublicKey()
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	// A failing set comes back as *Error with the server's errno.
	err = cl.Set(c, wgtypes.Config{ListenPort: ptr(70000)})
	if !errors.Is(err, EINVAL) {
		t.Errorf("Set of an invalid config = %v, want EINVAL before sending", err)
	}
	h.mu.Lock()
	h.setErr = errorf(EADDRINUSE, "port taken")
	h.mu.Unlock()
	err = cl.Set(c, wgtypes.Config{ListenPort: ptr(1)})
	var ue *Error
	if !errors.As(err, &ue) || ue.Errno != EADDRINUSE || !errors.Is(err, EADDRINUSE) {
		t.Errorf("Set = %v, want *Error EADDRINUSE", err)
	}
	h.mu.Lock()
	h.getErr = errorf(EIO, "gone")
	h.mu.Unlock()
	if _, err := cl.Get(c); !errors.Is(err, EIO) {
		t.Errorf("Get = %v, want EIO", err)
	}
}

// fixedServer answers every request on conn with reply, once.
func fixedServer(t *testing.T, reply string) net.Conn {
	client, server := net.Pipe()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		defer server.Close()
		buf := make([]byte, 4096)
		server.Read(buf)
		io.WriteString(server, reply)
	}()
	t.Cleanup(func() { client.Close() })
	return client
}

func TestClientSetReplies(t *testing.T) {
	tests := []struct {
		reply string
		want  error // nil: success
	}{
		{"errno=0\n\n", nil},
		{"errno=-22\n\n", EINVAL},
		{"errno=98\n\n", EADDRINUSE},
		{"errno=0\n", EPROTO},
		{"errno=0\nx\n", EPROTO},
		{"errno=x\n\n", EPROTO},
		{"status=0\n\n", EPROTO},
		{"", EPROTO},
	}
	for _, tt := range tests {
		c := fixedServer(t, tt.reply)
		err := (&Client{}).Set(c, wgtypes.Config{})
		if tt.want == nil {
			if err != nil {
				t.Errorf("reply %q: Set = %v", tt.reply, err)
			}
			continue
		}
		var ue *Error
		if !errors.Is(err, tt.want) || !errors.As(err, &ue) {
			t.Errorf("reply %q: Set = %v, want *Error %v", tt.reply, err, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Errno: EINVAL}
	if got := e.Error(); !strings.Contains(got, "invalid argument") {
		t.Errorf("Error() = %q", got)
	}
	var se interface{ Error() string } = errorf(EPROTO, "uapi get: line 3: no '='")
	if se.Error() != "uapi get: line 3: no '='" {
		t.Errorf("Error() = %q", se.Error())
	}
	if ErrnoOf(nil) != ENOANO || ErrnoOf(errors.New("x")) != ENOANO || ErrnoOf(e) != EINVAL {
		t.Error("ErrnoOf mapping")
	}
}
