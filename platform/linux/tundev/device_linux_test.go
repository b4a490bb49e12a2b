package tundev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/internal/testenv"
)

// The tests below create real TUN interfaces. Each runs in a fresh network
// namespace: the test goroutine locks its thread and unshares the thread's
// namespace, and never unlocks, so the thread exits with the test. Sockets
// and `ip` commands are created from that goroutine (they inherit the
// thread's namespace); other goroutines only use descriptors made there.
//
//	kernel stack (10.9.0.1, fd09::1) --wgt0--> this test (plays 10.9.0.2, fd09::2)

func inNetns(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "TUN devices and network namespaces")
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("iproute2 `ip` not found: %v", err)
	}
	runtime.LockOSThread() // never unlocked: the thread dies with the test
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	ip(t, "link", "set", "lo", "up")
}

func ip(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// setup creates wgt0 at the given offload level, up, with addresses.
func setup(t testing.TB, lv level) *Device {
	t.Helper()
	inNetns(t)
	d, err := create("wgt0", 1420, lv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ip(t, "link", "set", "wgt0", "up")
	ip(t, "addr", "add", "10.9.0.1/24", "dev", "wgt0")
	ip(t, "-6", "addr", "add", "fd09::1/64", "dev", "wgt0", "nodad")
	// Even with nodad the kernel adds the address's local route from a
	// work queue, after `ip addr add` returns; until then packets to it
	// count as Ip6InAddrErrors and vanish.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := exec.Command("ip", "-6", "route", "show", "table", "local", "fd09::1").Output()
		if strings.Contains(string(out), "fd09::1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("local route for fd09::1 did not appear")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return d
}

const devOffset = 32

// readLoop reads d until it fails, sending copies of every batch.
func readLoop(d *Device) (<-chan [][]byte, <-chan error) {
	return readLoopSized(d, BatchSize, 65536)
}

// readLoopSized reads with nbuf buffers of size bytes after the offset.
func readLoopSized(d *Device, nbuf, size int) (<-chan [][]byte, <-chan error) {
	batches := make(chan [][]byte, 1024)
	errc := make(chan error, 1)
	go func() {
		bufs, sizes := makeBufs(nbuf, devOffset+size)
		for {
			n, err := d.Read(bufs, sizes, devOffset)
			if err != nil {
				errc <- err
				close(batches)
				return
			}
			batch := make([][]byte, n)
			for i := range n {
				batch[i] = bytes.Clone(bufs[i][devOffset : devOffset+sizes[i]])
			}
			batches <- batch
		}
	}()
	return batches, errc
}

// await returns the first packet matching f.
func await(t *testing.T, batches <-chan [][]byte, f func(p []byte) bool) []byte {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case b, ok := <-batches:
			if !ok {
				t.Fatal("device read failed while waiting for a packet")
			}
			for _, p := range b {
				if f(p) {
					return p
				}
			}
		case <-timeout:
			t.Fatal("timed out waiting for a packet from the TUN")
		}
	}
}

// transport returns the transport offset and protocol of an IP packet.
func transport(p []byte) (int, uint8) {
	if len(p) >= 20 && p[0]>>4 == 4 {
		return int(p[0]&0xf) * 4, p[9]
	}
	if len(p) >= 40 && p[0]>>4 == 6 {
		return 40, p[6]
	}
	return 0, 0
}

func isUDPTo(port uint16) func(p []byte) bool {
	return func(p []byte) bool {
		toff, proto := transport(p)
		return proto == protoUDP && len(p) >= toff+8 && binary.BigEndian.Uint16(p[toff+2:]) == port
	}
}

func writeOne(t *testing.T, d *Device, pkts ...[]byte) {
	t.Helper()
	bufs := make([][]byte, len(pkts))
	for i, p := range pkts {
		bufs[i] = append(make([]byte, devOffset, devOffset+len(p)), p...)
	}
	n, err := d.Write(bufs, devOffset)
	if err != nil || n != len(pkts) {
		t.Fatalf("Write = %d, %v; want %d", n, err, len(pkts))
	}
}

var levels = []struct {
	name string
	lv   level
	want Offload
}{
	{"uso", levelUSO, Offload{VnetHdr: true, TSO: true, USO: true}},
	{"tso", levelTSO, Offload{VnetHdr: true, TSO: true}},
	{"plain", levelPlain, Offload{}},
}

func TestDeviceUDP(t *testing.T) {
	for _, l := range levels {
		for _, fam := range []string{"4", "6"} {
			t.Run(l.name+"/ipv"+fam, func(t *testing.T) {
				d := setup(t, l.lv)
				if got := d.Offload(); got != l.want {
					t.Fatalf("offload %v, want %v", got, l.want)
				}
				batches, _ := readLoop(d)
				local, peer := netip.MustParseAddr("10.9.0.1"), netip.MustParseAddr("10.9.0.2")
				if fam == "6" {
					local, peer = netip.MustParseAddr("fd09::1"), netip.MustParseAddr("fd09::2")
				}

				// Kernel to TUN: one datagram, then a UDP_SEGMENT burst.
				c, err := net.DialUDP("udp"+fam, nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, 9999)))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				msg := pattern(333, 3)
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				p := await(t, batches, isUDPTo(9999))
				checkValid(t, p)
				toff, _ := transport(p)
				if !bytes.Equal(p[toff+8:], msg) {
					t.Fatalf("payload differs")
				}

				rc, _ := c.SyscallConn()
				var serr error
				rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT, 1000) })
				if serr != nil {
					t.Fatalf("UDP_SEGMENT: %v", serr)
				}
				burst := pattern(10*1000, 4)
				if _, err := c.Write(burst); err != nil {
					t.Fatal(err)
				}
				var got []byte
				maxBatch := 0
				for len(got) < len(burst) {
					var b [][]byte
					select {
					case b = <-batches:
					case <-time.After(5 * time.Second):
						t.Fatalf("timed out after %d of %d bytes", len(got), len(burst))
					}
					seen := 0
					for _, p := range b {
						if !isUDPTo(9999)(p) {
							continue
						}
						checkValid(t, p)
						toff, _ := transport(p)
						if len(p)-toff-8 != 1000 {
							t.Fatalf("segment of %d bytes, want 1000", len(p)-toff-8)
						}
						got = append(got, p[toff+8:]...)
						seen++
					}
					maxBatch = max(maxBatch, seen)
				}
				if !bytes.Equal(got, burst) {
					t.Fatal("UDP_SEGMENT burst arrived changed")
				}
				if l.want.USO && maxBatch < 2 {
					t.Errorf("USO negotiated but the burst never came as one frame (max %d per read)", maxBatch)
				}
				if !l.want.USO && maxBatch != 1 {
					t.Errorf("without USO a read returned %d datagrams", maxBatch)
				}

				// TUN to kernel: datagrams of one flow in one Write.
				lc, err := net.ListenUDP("udp"+fam, net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 7777)))
				if err != nil {
					t.Fatal(err)
				}
				defer lc.Close()
				spec := defaultUDP4()
				if fam == "6" {
					spec = defaultUDP6()
				}
				spec.src, spec.dst, spec.sport, spec.dport = peer, local, 5555, 7777
				pkts := segments(spec, 10, 1200, 77)
				writeOne(t, d, pkts...)
				wantGroups := 10
				if l.want.USO {
					wantGroups = 1
				}
				if l.want.VnetHdr && len(d.co.groups) != wantGroups {
					t.Errorf("write made %d frames, want %d", len(d.co.groups), wantGroups)
				}
				lc.SetReadDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 65536)
				for k := range pkts {
					n, from, err := lc.ReadFromUDPAddrPort(buf)
					if err != nil {
						snmp, _ := os.ReadFile("/proc/thread-self/net/snmp6")
						var nz []string
						for _, ln := range strings.Split(string(snmp), "\n") {
							if f := strings.Fields(ln); len(f) == 2 && f[1] != "0" {
								nz = append(nz, ln)
							}
						}
						out, _ := exec.Command("ip", "-6", "route", "show", "table", "all").CombinedOutput()
						t.Fatalf("datagram %d: %v\n%s\n%s", k, err, strings.Join(nz, "\n"), out)
					}
					toff, _ := transport(pkts[k])
					want := pkts[k][toff+8:]
					if from.Port() != 5555 || !bytes.Equal(buf[:n], want) {
						t.Fatalf("datagram %d: %d bytes from %v", k, n, from)
					}
				}
			})
		}
	}
}

func TestDeviceTCP(t *testing.T) {
	type run struct {
		l         int
		fam       string
		nbuf, buf int // read buffers: count and size
	}
	var runs []run
	for i := range levels {
		for _, fam := range []string{"4", "6"} {
			runs = append(runs, run{i, fam, BatchSize, 65536})
		}
	}
	// Few small buffers: GSO frames are assembled outside bufs[0] and
	// handed out over several Read calls.
	runs = append(runs, run{0, "4", 4, 1500}, run{0, "6", 7, 1500})
	for _, rn := range runs {
		l, fam := levels[rn.l], rn.fam
		t.Run(fmt.Sprintf("%s/ipv%s/%dx%d", l.name, fam, rn.nbuf, rn.buf), func(t *testing.T) {
			d := setup(t, l.lv)
			peer := netip.MustParseAddr("10.9.0.2")
			if fam == "6" {
				peer = netip.MustParseAddr("fd09::2")
			}
			batches, _ := readLoopSized(d, rn.nbuf, rn.buf)
			const upload, download = 300000, 40000
			type result struct {
				data     []byte
				maxBatch int
				groups   int
				err      error
			}
			done := make(chan result, 1)
			go func() { done <- respond(d, batches, upload, download) }()

			c, err := net.DialTimeout("tcp"+fam, netip.AddrPortFrom(peer, 80).String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			up := pattern(upload, 5)
			if _, err := c.Write(up); err != nil {
				t.Fatal(err)
			}
			down := make([]byte, download)
			if _, err := ioReadFull(c, down); err != nil {
				t.Fatalf("reading from the TUN side: %v", err)
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("responder did not finish")
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !bytes.Equal(r.data, up) {
				t.Fatalf("upload arrived changed (%d of %d bytes)", len(r.data), len(up))
			}
			if !bytes.Equal(down, pattern(download, 6)) {
				t.Fatal("download arrived changed")
			}
			if l.want.TSO {
				if r.maxBatch < 2 {
					t.Errorf("TSO negotiated but no read returned more than one segment")
				}
				if r.groups != 1 {
					t.Errorf("download written as %d frames, want 1", r.groups)
				}
			} else if r.maxBatch != 1 {
				t.Errorf("plain TUN read returned %d packets at once", r.maxBatch)
			}
			t.Logf("max segments per read %d", r.maxBatch)
		})
	}
}

func ioReadFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// respond plays the TCP peer on port 80: it accepts the connection,
// receives upload bytes (checking every segment's checksums), then sends
// download bytes as one Write of 1000-byte segments.
func respond(d *Device, batches <-chan [][]byte, upload, download int) (r struct {
	data     []byte
	maxBatch int
	groups   int
	err      error
}) {
	var irs, rcvNxt uint32
	const iss = 0x10000000
	var tmpl pktSpec
	synced := false
	timeout := time.After(10 * time.Second)
	for len(r.data) < upload {
		var b [][]byte
		var ok bool
		select {
		case b, ok = <-batches:
			if !ok {
				r.err = errors.New("device read failed")
				return
			}
		case <-timeout:
			r.err = fmt.Errorf("timed out with %d of %d bytes", len(r.data), upload)
			return
		}
		seen := 0
		ackNeeded := false
		for _, p := range b {
			toff, proto := transport(p)
			if proto != protoTCP || len(p) < toff+20 || binary.BigEndian.Uint16(p[toff+2:]) != 80 {
				continue
			}
			seen++
			if !ipValid(p) || !l4Valid(p, toff, protoTCP) {
				r.err = fmt.Errorf("segment with a bad checksum: %x", p[:toff+20])
				return
			}
			hl := toff + int(p[toff+12]>>4)*4
			seq := binary.BigEndian.Uint32(p[toff+4:])
			flags := p[toff+13]
			if flags&tcpSYN != 0 {
				irs = seq
				rcvNxt = irs + 1
				tmpl = pktSpec{proto: protoTCP, ttl: 64, df: true, window: 65535, flags: tcpACK}
				if p[0]>>4 == 4 {
					tmpl.src = netip.AddrFrom4([4]byte(p[16:20]))
					tmpl.dst = netip.AddrFrom4([4]byte(p[12:16]))
				} else {
					tmpl.src = netip.AddrFrom16([16]byte(p[24:40]))
					tmpl.dst = netip.AddrFrom16([16]byte(p[8:24]))
				}
				tmpl.sport = 80
				tmpl.dport = binary.BigEndian.Uint16(p[toff:])
				syn := tmpl
				syn.flags = tcpSYN | tcpACK
				syn.seq, syn.ack = iss, rcvNxt
				syn.opts = []byte{2, 4, 0x05, 0x64} // MSS 1380
				writeRaw(d, syn.build())
				synced = true
				continue
			}
			if !synced {
				continue
			}
			if pl := p[hl:]; len(pl) > 0 {
				if seq == rcvNxt {
					r.data = append(r.data, pl...)
					rcvNxt += uint32(len(pl))
				}
				ackNeeded = true
			}
		}
		r.maxBatch = max(r.maxBatch, seen)
		if ackNeeded {
			a := tmpl
			a.seq, a.ack = iss+1, rcvNxt
			writeRaw(d, a.build())
		}
	}
	// Send the download in one Write: the device should coalesce it.
	s := tmpl
	s.seq, s.ack = iss+1, rcvNxt
	s.flags = tcpACK | tcpPSH
	var pkts [][]byte
	for k := range (download + 999) / 1000 {
		q := s
		q.seq = s.seq + uint32(k*1000)
		q.payload = pattern(download, 6)[k*1000 : min((k+1)*1000, download)]
		if k != (download+999)/1000-1 {
			q.flags = tcpACK
		}
		pkts = append(pkts, q.build())
	}
	bufs := make([][]byte, len(pkts))
	for i, p := range pkts {
		bufs[i] = append(make([]byte, devOffset, devOffset+len(p)), p...)
	}
	if n, err := d.Write(bufs, devOffset); err != nil || n != len(pkts) {
		r.err = fmt.Errorf("write download: %d, %v", n, err)
		return
	}
	if d.off.VnetHdr {
		r.groups = len(d.co.groups)
	}
	return r
}

func ipValid(p []byte) bool { return p[0]>>4 == 6 || ipv4HeaderValid(p) }

func writeRaw(d *Device, p []byte) {
	b := append(make([]byte, devOffset, devOffset+len(p)), p...)
	d.Write([][]byte{b}, devOffset)
}

func awaitEvent(t *testing.T, d *Device, want tun.Event) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-d.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", want)
			}
			if ev == want {
				return
			}
		case <-timeout:
			t.Fatalf("timed out waiting for event %v", want)
		}
	}
}

func TestDeviceEventsAndDelete(t *testing.T) {
	inNetns(t)
	d, err := Create("wgt0", 1420)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if name, _ := d.Name(); name != "wgt0" {
		t.Fatalf("name %q", name)
	}
	if mtu, err := d.MTU(); err != nil || mtu != 1420 {
		t.Fatalf("MTU = %d, %v; want 1420", mtu, err)
	}
	if d.BatchSize() < 64 {
		t.Fatalf("batch size %d", d.BatchSize())
	}
	select {
	case ev := <-d.Events():
		t.Fatalf("event %v before the link went up", ev)
	case <-time.After(200 * time.Millisecond):
	}
	ip(t, "link", "set", "wgt0", "up")
	awaitEvent(t, d, tun.EventUp)
	ip(t, "link", "set", "wgt0", "mtu", "1300")
	awaitEvent(t, d, tun.EventMTUUpdate)
	if mtu, _ := d.MTU(); mtu != 1300 {
		t.Fatalf("MTU after change %d", mtu)
	}
	ip(t, "link", "set", "wgt0", "down")
	awaitEvent(t, d, tun.EventDown)
	ip(t, "link", "set", "wgt0", "name", "wgt9")
	deadline := time.Now().Add(5 * time.Second)
	for name, _ := d.Name(); name != "wgt9"; name, _ = d.Name() {
		if time.Now().After(deadline) {
			t.Fatalf("name still %q after rename", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ip(t, "link", "set", "wgt9", "up")
	awaitEvent(t, d, tun.EventUp)

	_, errc := readLoop(d)
	ip(t, "link", "del", "wgt9")
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Read returned nil error")
		}
		t.Logf("read after delete: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not fail after the link was deleted")
	}
	for range d.Events() {
	}
	if _, err := d.Write([][]byte{make([]byte, 60)}, devOffset); err == nil {
		t.Fatal("Write succeeded after delete")
	}
	if err := d.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		t.Logf("close after delete: %v", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	inNetns(t)
	d, err := Create("", 0)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := d.Name()
	if !strings.HasPrefix(name, "tun") {
		t.Errorf("kernel-picked name %q", name)
	}
	_, errc := readLoop(d)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	t.Logf("Read returned %v after Close", time.Since(start))
	if _, ok := <-d.Events(); ok {
		t.Fatal("events still open after Close")
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := net.InterfaceByName(name); err == nil {
		t.Fatalf("%s still exists after Close", name)
	}
}

func TestCreateErrors(t *testing.T) {
	inNetns(t)
	if _, err := Create("this-name-is-too-long", 1420); err == nil {
		t.Fatal("accepted a 21-byte name")
	}
	d, err := Create("wgt0", 1420)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := Create("wgt0", 1420); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second Create of wgt0: %v, want os.ErrExist", err)
	}
	if _, err := Create("lo", 1420); err == nil {
		t.Fatal("Create over the loopback link succeeded")
	}
	null, _ := os.Open(os.DevNull)
	if _, err := CreateFromFile(null, 0); err == nil {
		t.Fatal("CreateFromFile(/dev/null) succeeded")
	}
}

func TestCreateFromFile(t *testing.T) {
	for _, vnet := range []bool{true, false} {
		t.Run(fmt.Sprint("vnet=", vnet), func(t *testing.T) {
			inNetns(t)
			fd, name, err := openTUN("wgt3", vnet)
			if err != nil {
				t.Fatal(err)
			}
			// An adopted link that is already up reports EventUp at once.
			ip(t, "link", "set", "wgt3", "up")
			ip(t, "addr", "add", "10.9.0.1/24", "dev", "wgt3")
			d, err := CreateFromFile(os.NewFile(uintptr(fd), "tun"), 1400)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if got, _ := d.Name(); got != name || name != "wgt3" {
				t.Fatalf("name %q (%q)", got, name)
			}
			if mtu, _ := d.MTU(); mtu != 1400 {
				t.Fatalf("MTU %d", mtu)
			}
			if got := d.Offload(); got.VnetHdr != vnet || got.TSO != vnet {
				t.Fatalf("offload %v with vnet=%v", got, vnet)
			}
			awaitEvent(t, d, tun.EventUp)
			batches, _ := readLoop(d)
			c, err := net.Dial("udp4", "10.9.0.2:9999")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("hello"))
			p := await(t, batches, isUDPTo(9999))
			checkValid(t, p)
		})
	}
}

func TestCreateNeedsCapNetAdmin(t *testing.T) {
	inNetns(t)
	// Capabilities are per thread; this locked thread dies with the test,
	// and the runtime clones new threads from a clean template thread.
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	data[0].Effective &^= 1 << unix.CAP_NET_ADMIN
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	_, err := Create("wgt0", 1420)
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
		t.Fatalf("Create without CAP_NET_ADMIN: %v", err)
	}
	t.Log(err)
}
