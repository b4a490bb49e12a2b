//go:build linux

package bind

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/internal/testenv"
)

// needRoot skips a test that needs root, unless CI=true, where a missing
// prerequisite is a failure.
func needRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "network namespaces")
}

// enterNetns moves the test goroutine into a fresh network namespace with
// lo up. The goroutine stays locked to its thread and never unlocks, so the
// runtime destroys the thread (and with it the namespace, once the sockets
// are closed) when the test ends. Sockets opened and commands run from the
// test goroutine live in the namespace.
//
//	+-------------------- netns --------------------+
//	|  lo: 127.0.0.1, extra addresses from the test |
//	|  bind under test  <---->  plain client socket |
//	+-----------------------------------------------+
func enterNetns(t *testing.T) {
	t.Helper()
	needRoot(t)
	testenv.RequireTool(t, "ip")
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	ipCmd(t, "link", "set", "lo", "up")
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// readFrom reads one datagram from c and returns it with its source.
func readFrom(t *testing.T, c *net.UDPConn) ([]byte, netip.AddrPort) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	return buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
}

// pingUntil sends payload from client to dst until the collector sees it,
// skipping older datagrams, and returns its endpoint. Repeating covers the
// moment after "ip addr add" when the kernel has not finished setting up a
// new IPv6 address (its local route and tentative flag are updated from a
// work queue even with nodad) and drops the first packets.
func pingUntil(t *testing.T, client *net.UDPConn, dst netip.AddrPort, payload string, col *collector) conn.Endpoint {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := client.WriteToUDPAddrPort([]byte(payload), dst); err != nil {
			t.Fatal(err)
		}
		select {
		case d, ok := <-col.ch:
			if !ok {
				t.Fatalf("receiver stopped: %v", <-col.done)
			}
			if string(d.data) == payload {
				// Drop duplicates of this payload that may follow.
				for len(col.ch) > 0 {
					<-col.ch
				}
				return d.ep
			}
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%q to %v never arrived", payload, dst)
		}
	}
}

// TestStickySource: a client on the first address sends to the second one;
// the bind must answer from the second address, though the kernel on its
// own would pick the first (the destination's own address).
func TestStickySource(t *testing.T) {
	tests := []struct {
		name     string
		network  string
		a1, a2   string
		prefix   string
		addFlags []string
	}{
		{name: "ipv4", network: "udp4", a1: "10.77.0.1", a2: "10.77.0.2", prefix: "/32"},
		{name: "ipv6", network: "udp6", a1: "fd77::1", a2: "fd77::2", prefix: "/128", addFlags: []string{"nodad"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Subtests run on their own goroutine: each enters its own
			// namespace.
			enterNetns(t)
			a1, a2 := netip.MustParseAddr(tt.a1), netip.MustParseAddr(tt.a2)
			for _, a := range []string{tt.a1, tt.a2} {
				ipCmd(t, append([]string{"addr", "add", a + tt.prefix, "dev", "lo"}, tt.addFlags...)...)
			}
			b, fns, port := openBind(t, 0, knobs{})
			fn := fns[0]
			if a1.Is6() {
				fn = fns[1]
			}
			col := collect(fn, 2048)
			client, err := net.ListenUDP(tt.network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a1, 0)))
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			clientAddr := netip.MustParseAddrPort(client.LocalAddr().String())
			server2 := netip.AddrPortFrom(a2, port)

			ep := pingUntil(t, client, server2, "ping", col)
			if ep.Dst() != clientAddr {
				t.Fatalf("Dst = %v, want %v", ep.Dst(), clientAddr)
			}
			if ep.Src() != a2 {
				t.Fatalf("Src = %v, want %v", ep.Src(), a2)
			}
			lo, err := net.InterfaceByName("lo")
			if err != nil {
				t.Fatal(err)
			}
			if got := ep.(*Endpoint).SrcIfindex(); got != uint32(lo.Index) {
				t.Errorf("SrcIfindex = %d, want %d (lo)", got, lo.Index)
			}

			// Single datagram and a GSO batch both leave from a2.
			if err := b.Send([][]byte{[]byte("pong")}, 0, ep); err != nil {
				t.Fatal(err)
			}
			if data, from := readFrom(t, client); string(data) != "pong" || from != server2 {
				t.Fatalf("reply %q from %v, want pong from %v", data, from, server2)
			}
			batch := [][]byte{bytes.Repeat([]byte{1}, 300), bytes.Repeat([]byte{2}, 300), bytes.Repeat([]byte{3}, 300), {4}}
			gsoBefore := b.sock(t, a1.Is6()).gsoSends.Load()
			if err := b.Send(batch, 0, ep); err != nil {
				t.Fatal(err)
			}
			if b.sock(t, a1.Is6()).gso.Load() && b.sock(t, a1.Is6()).gsoSends.Load() == gsoBefore {
				t.Error("batch was not sent with GSO")
			}
			for i, want := range batch {
				if data, from := readFrom(t, client); !bytes.Equal(data, want) || from != server2 {
					t.Fatalf("batch datagram %d: %d bytes from %v, want %d from %v", i, len(data), from, len(want), server2)
				}
			}

			// Without the sticky source the kernel picks a1.
			ep.ClearSrc()
			if err := b.Send([][]byte{[]byte("plain")}, 0, ep); err != nil {
				t.Fatal(err)
			}
			if _, from := readFrom(t, client); from.Addr() != a1 {
				t.Fatalf("after ClearSrc the reply came from %v; the test cannot tell sticky from kernel choice", from)
			}

			// The next packet of the flow restores it.
			if ep2 := pingUntil(t, client, server2, "ping2", col); ep2 != ep || ep.Src() != a2 {
				t.Fatalf("second packet: same endpoint %v, Src %v", ep2 == ep, ep.Src())
			}

			// The source address vanishes: the send is retried without it.
			ipCmd(t, "addr", "del", tt.a2+tt.prefix, "dev", "lo")
			if err := b.Send([][]byte{[]byte("after del")}, 0, ep); err != nil {
				t.Fatalf("Send with a removed source: %v", err)
			}
			if data, from := readFrom(t, client); string(data) != "after del" || from.Addr() != a1 {
				t.Fatalf("got %q from %v, want \"after del\" from %v", data, from, a1)
			}
			if ep.Src().IsValid() {
				t.Errorf("Src = %v after its address was removed, want none", ep.Src())
			}
		})
	}
}

// TestGSOPathMTU: on a device with an MTU below the segment size the
// kernel rejects GSO (EMSGSIZE since Linux 6.x, EINVAL before); the bind
// must resend the datagrams one by one.
func TestGSOPathMTU(t *testing.T) {
	for _, tt := range []struct {
		name string
		addr netip.Addr
	}{
		{"ipv4", netip.MustParseAddr("127.0.0.1")},
		{"ipv6", netip.MustParseAddr("::1")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enterNetns(t)
			ipCmd(t, "link", "set", "lo", "mtu", "1280")
			v6 := tt.addr.Is6()
			a, _, _ := openBind(t, 0, knobs{})
			_, bfns, bport := openBind(t, 0, knobs{noGRO: true})
			fn := bfns[0]
			if v6 {
				fn = bfns[1]
			}
			col := collect(fn, 2048)
			as := a.sock(t, v6)
			if !as.gso.Load() {
				testenv.Skip(t, "no UDP GSO on this kernel")
			}
			ep := a.Endpoint(netip.AddrPortFrom(tt.addr, bport))
			bufs := make([][]byte, 6)
			for i := range bufs {
				bufs[i] = make([]byte, 1400)
				fillDatagram(bufs[i], i)
			}
			if err := a.Send(bufs, 0, ep); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := as.gsoSends.Load(); n != 0 {
				t.Errorf("%d GSO sends counted as successful", n)
			}
			for i, d := range col.next(t, len(bufs)) {
				checkDatagram(t, d.data, i, 1400)
			}
			// Small datagrams still coalesce: the fallback was per call
			// (EMSGSIZE) or GSO is off for good (EINVAL on older kernels).
			small := [][]byte{make([]byte, 500), make([]byte, 500)}
			if err := a.Send(small, 0, ep); err != nil {
				t.Fatal(err)
			}
			col.next(t, 2)
			t.Logf("GSO on after the refusal: %v, GSO sends of small datagrams: %d", as.gso.Load(), as.gsoSends.Load())
			if as.gso.Load() && as.gsoSends.Load() != 1 {
				t.Errorf("GSO still on but small datagrams were not coalesced")
			}
		})
	}
}

func getMark(t *testing.T, s *socket) int {
	t.Helper()
	var mark int
	var gerr error
	if err := s.rc.Control(func(fd uintptr) { mark, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatalf("getsockopt SO_MARK: %v", gerr)
	}
	return mark
}

func TestSetMark(t *testing.T) {
	needRoot(t)
	b := &Bind{}
	t.Cleanup(func() { b.Close() })
	if err := b.SetMark(0x5a5a); err != nil {
		t.Fatalf("SetMark on a closed bind: %v", err)
	}
	check := func(want int) {
		t.Helper()
		s := b.socks.Load()
		for _, sk := range []*socket{s.v4, s.v6} {
			if sk == nil {
				continue
			}
			if got := getMark(t, sk); got != want {
				t.Errorf("v6=%v: SO_MARK = %#x, want %#x", sk.v6, got, want)
			}
		}
	}
	if _, _, err := b.Open(0); err != nil {
		t.Fatal(err)
	}
	check(0x5a5a) // applied on Open
	if err := b.SetMark(7); err != nil {
		t.Fatal(err)
	}
	check(7) // applied to open sockets
	b.Close()
	if _, _, err := b.Open(0); err != nil {
		t.Fatal(err)
	}
	check(7) // re-applied on reopen
	if err := b.SetMark(0); err != nil {
		t.Fatal(err)
	}
	check(0)
}

func TestSetMarkUnprivileged(t *testing.T) {
	b, _, _ := openBind(t, 0, knobs{})
	if os.Geteuid() == 0 {
		dropNetCaps(t)
	}
	if err := b.SetMark(1); !errors.Is(err, os.ErrPermission) {
		t.Errorf("SetMark without privileges: %v, want os.ErrPermission", err)
	}
}

// dropNetCaps takes CAP_NET_ADMIN and CAP_NET_RAW (either allows SO_MARK)
// out of the effective set of the test goroutine's thread. Capabilities
// are per thread, and the thread stays locked, so the runtime discards it
// when the test ends instead of reusing it.
func dropNetCaps(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatalf("capget: %v", err)
	}
	data[0].Effective &^= 1<<unix.CAP_NET_ADMIN | 1<<unix.CAP_NET_RAW
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		t.Fatalf("capset: %v", err)
	}
}
