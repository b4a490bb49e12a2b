package bsd

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"unsafe"
)

func TestIoctlNumbers(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the values below are LP64's")
	}
	for _, tt := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		// Values from golang.org/x/sys/unix zerrors_{freebsd,openbsd}_amd64.go
		// and the wg(4) / if_wg specs.
		{"SIOCGIFGMEMB", SIOCGIFGMEMB, 0xc028698a},
		{"SIOCSWG", IOWR('i', 210, 32), 0xc02069d2},
		{"SIOCGWG", IOWR('i', 211, 32), 0xc02069d3},
		{"SIOCAIFADDR openbsd", IOW('i', 26, 64), 0x8040691a},
		{"SIOCAIFADDR_IN6 openbsd", IOW('i', 26, 128), 0x8080691a},
		{"SIOCIFCREATE", IOW('i', 122, SizeofIfreq), 0x8020697a},
		{"SIOCGIFMTU", IOWR('i', 126, SizeofIfreq), 0xc020697e},
		{"SIOCGIFDESCR openbsd", IOWR('i', 129, SizeofIfreq), 0xc0206981},
		{"TUNSIFMODE openbsd", IOW('t', 93, 4), 0x8004745d},
		{"IOR", IOR('t', 1, 4), 0x40047401},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
	if s := unsafe.Sizeof(IfreqData{}); s != SizeofIfreq {
		t.Errorf("sizeof(IfreqData) = %d", s)
	}
	if s := unsafe.Sizeof(IfreqInt{}); s != SizeofIfreq {
		t.Errorf("sizeof(IfreqInt) = %d", s)
	}
	if s := unsafe.Sizeof(Ifgroupreq{}); s != 40 {
		t.Errorf("sizeof(Ifgroupreq) = %d", s)
	}
	if o := unsafe.Offsetof(IfreqData{}.Data); o != 16 {
		t.Errorf("offsetof(ifr_data) = %d", o)
	}
	if o := unsafe.Offsetof(Ifgroupreq{}.Groups); o != 24 {
		t.Errorf("offsetof(ifgr_groups) = %d", o)
	}
}

func TestIfreqFlags16(t *testing.T) {
	var r IfreqInt
	r.SetFlags16(0x8843)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&r)), SizeofIfreq)
	if got := binary.NativeEndian.Uint16(b[16:]); got != 0x8843 {
		t.Errorf("ifr_flags at 16 = %#x, want 0x8843", got)
	}
	if r.Flags16() != 0x8843 {
		t.Errorf("Flags16 = %#x", r.Flags16())
	}
}

func TestPutName(t *testing.T) {
	var n [IfNameSize]byte
	n[10] = 'x'
	if err := PutName(&n, "wg0"); err != nil || string(n[:4]) != "wg0\x00" || n[10] != 0 {
		t.Errorf("PutName(wg0) = %q, %v", n, err)
	}
	for _, bad := range []string{"", "abcdefghijklmnop", "abcdefghijklmno\x00"[:16]} {
		if err := PutName(&n, bad); err == nil {
			t.Errorf("PutName(%q) succeeded", bad)
		}
	}
	if err := PutName(&n, "abcdefghijklmno"); err != nil {
		t.Errorf("15-byte name: %v", err)
	}
}

// groupKernel simulates if_getgroupmembers.
type groupKernel struct {
	members [][]string // what each successive call sees
	calls   int
	missing bool
}

func (k *groupKernel) ioctl(req uintptr, arg unsafe.Pointer) error {
	if req != SIOCGIFGMEMB {
		return syscall.ENOTTY
	}
	if k.missing {
		return syscall.ENOENT
	}
	m := k.members[min(k.calls, len(k.members)-1)]
	k.calls++
	r := (*Ifgroupreq)(arg)
	need := uint32(len(m) * SizeofIfgReq)
	if r.Len == 0 {
		r.Len = need
		return nil
	}
	if r.Len < need {
		return syscall.EINVAL
	}
	buf := unsafe.Slice(r.Groups, r.Len)
	clear(buf)
	for i, name := range m {
		copy(buf[i*SizeofIfgReq:], name)
	}
	r.Len = need
	return nil
}

func TestGroupMembers(t *testing.T) {
	for _, tt := range []struct {
		name    string
		k       groupKernel
		want    []string
		wantErr bool
	}{
		{name: "no group", k: groupKernel{missing: true}},
		{name: "empty", k: groupKernel{members: [][]string{{}}}},
		{name: "two", k: groupKernel{members: [][]string{{"wg0", "wg7"}}}, want: []string{"wg0", "wg7"}},
		{name: "grew within the slack", k: groupKernel{members: [][]string{{"wg0"}, {"wg0", "wg1", "wg2"}}}, want: []string{"wg0", "wg1", "wg2"}},
		{name: "grew past the slack, retried", k: groupKernel{members: [][]string{{"wg0"}, {"wg0", "wg1", "wg2", "wg3"}}}, want: []string{"wg0", "wg1", "wg2", "wg3"}},
		{name: "full names", k: groupKernel{members: [][]string{{"abcdefghijklmno"}}}, want: []string{"abcdefghijklmno"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := GroupMembers(tt.k.ioctl, "wg")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	grows := &groupKernel{}
	for i := range 40 {
		grows.members = append(grows.members, make([]string, 4*i+1))
		for j := range grows.members[i] {
			grows.members[i][j] = "wg"
		}
	}
	if _, err := GroupMembers(grows.ioctl, "wg"); err == nil {
		t.Error("a group that keeps growing: no error")
	}
	if _, err := GroupMembers(func(uintptr, unsafe.Pointer) error { return syscall.EPERM }, "wg"); err == nil {
		t.Error("EPERM: no error")
	}
}

func TestEndpoint(t *testing.T) {
	v4 := netip.MustParseAddrPort("192.0.2.1:51820")
	v6 := netip.MustParseAddrPort("[2001:db8::1%7]:443")
	mapped := netip.MustParseAddrPort("[::ffff:192.0.2.1]:1")
	for _, tt := range []struct {
		name string
		ap   netip.AddrPort
		af6  uint8
		want []byte
	}{
		{"v4", v4, AFInet6OpenBSD, []byte{16, 2, 0xca, 0x6c, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"v6 openbsd", v6, AFInet6OpenBSD, append([]byte{28, 24, 1, 0xbb, 0, 0, 0, 0,
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, binary.NativeEndian.AppendUint32(nil, 7)...)},
		{"v6 freebsd", v6, AFInet6FreeBSD, append([]byte{28, 28, 1, 0xbb, 0, 0, 0, 0,
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, binary.NativeEndian.AppendUint32(nil, 7)...)},
		{"mapped stays v6", mapped, AFInet6FreeBSD, []byte{28, 28, 0, 1, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1, 0, 0, 0, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Repeat([]byte{0xee}, 32)
			n, err := PutEndpoint(b, tt.ap, tt.af6)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:n], tt.want) {
				t.Errorf("bytes\n got %x\nwant %x", b[:n], tt.want)
			}
			for _, x := range b[n:SizeofSockaddrInet6] {
				if x != 0 {
					t.Fatalf("bytes after the sockaddr not cleared: %x", b)
				}
			}
			if b[SizeofSockaddrInet6] != 0xee {
				t.Error("wrote past the union")
			}
			got, err := ParseEndpoint(b, tt.af6, binary.NativeEndian)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.ap {
				t.Errorf("round trip: %v, want %v", got, tt.ap)
			}
		})
	}
	if _, err := PutEndpoint(make([]byte, 28), netip.AddrPort{}, AFInet6OpenBSD); err == nil {
		t.Error("invalid address accepted")
	}
	if _, err := PutEndpoint(make([]byte, 16), v4, AFInet6OpenBSD); err == nil {
		t.Error("short buffer accepted")
	}
	if _, err := PutEndpoint(make([]byte, 28), netip.MustParseAddrPort("[fe80::1%nosuchif0]:1"), AFInet6OpenBSD); err == nil {
		t.Error("unknown zone accepted")
	}
	for _, bad := range [][]byte{nil, {16}, {16, 2, 0, 0}, {28, 28, 0, 0, 0, 0, 0, 0}, make([]byte, 28)} {
		if _, err := ParseEndpoint(bad, AFInet6OpenBSD, binary.NativeEndian); err == nil {
			t.Errorf("ParseEndpoint(%x) succeeded", bad)
		}
	}
}

func FuzzParseEndpoint(f *testing.F) {
	f.Add([]byte{16, 2, 0xca, 0x6c, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(24))
	f.Add(append([]byte{28, 28, 1, 0xbb, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 7, 0, 0, 0), uint8(28))
	f.Add([]byte{}, uint8(24))
	f.Fuzz(func(t *testing.T, b []byte, af6 uint8) {
		if af6 == AFInet {
			return
		}
		ap, err := ParseEndpoint(b, af6, binary.NativeEndian)
		if err != nil {
			return
		}
		out := make([]byte, SizeofSockaddrInet6)
		n, err := PutEndpoint(out, ap, af6)
		if err != nil {
			t.Fatalf("%v parsed from %x does not encode: %v", ap, b, err)
		}
		back, err := ParseEndpoint(out[:n], af6, binary.NativeEndian)
		if err != nil || back != ap {
			t.Fatalf("re-parse of %v: %v, %v", ap, back, err)
		}
	})
}

func TestLocalHeader(t *testing.T) {
	local := netip.MustParseAddr("10.8.0.2")
	h := LocalHeader(netip.MustParsePrefix("0.0.0.0/1"), local)
	want := Header{Flags: rtfUp | rtfStatic, Dst: netip.MustParseAddr("0.0.0.0"), Gateway: local, Mask: netip.MustParseAddr("128.0.0.0")}
	if h != want {
		t.Errorf("LocalHeader /1 = %+v, want %+v", h, want)
	}
	if h.Flags&rtfGateway != 0 {
		t.Error("RTF_GATEWAY set on an -iface route")
	}
	h6 := LocalHeader(netip.MustParsePrefix("fd00::7/128"), netip.MustParseAddr("fd00::1"))
	if h6.Flags != rtfUp|rtfStatic|rtfHost || h6.Mask.IsValid() {
		t.Errorf("host route header %+v", h6)
	}
}

// TestPutSockaddr checks the address-only sockaddrs of interface address
// requests: the bytes around sa_len, family and address are untouched.
func TestPutSockaddr(t *testing.T) {
	b := bytes.Repeat([]byte{0xee}, 20)
	PutSockaddrInet4(b[2:], netip.MustParseAddr("255.255.255.0"))
	want := []byte{0xee, 0xee, 16, 2, 0xee, 0xee, 255, 255, 255, 0, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee}
	if !bytes.Equal(b, want) {
		t.Errorf("sockaddr_in\n got %x\nwant %x", b, want)
	}
	for _, af6 := range []uint8{AFInet6FreeBSD, AFInet6OpenBSD} {
		b := make([]byte, SizeofSockaddrInet6)
		PutSockaddrInet6(b, netip.MustParseAddr("fd00::1"), af6)
		want := []byte{28, af6, 0, 0, 0, 0, 0, 0,
			0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}
		if !bytes.Equal(b, want) {
			t.Errorf("sockaddr_in6 af %d\n got %x\nwant %x", af6, b, want)
		}
	}
}
