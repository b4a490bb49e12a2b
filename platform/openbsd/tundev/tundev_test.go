package tundev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/tun"
)

var (
	ping4 = []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	ping6 = append([]byte{0x60, 0, 0, 0, 0, 0, 59, 64}, make([]byte, 32)...)
)

func frame(af uint32, pkt []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, af), pkt...)
}

func TestHeader(t *testing.T) {
	for _, tt := range []struct {
		name    string
		pkt     []byte
		wantAF  uint32
		wantErr bool
	}{
		{"ipv4", ping4, 2, false},
		{"ipv6", ping6, 24, false},
		{"version 5", []byte{0x50, 1, 2}, 0, true},
		{"empty", nil, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte{9, 9, 9, 9}, tt.pkt...)
			err := putHeader(b)
			if (err != nil) != tt.wantErr {
				t.Fatalf("putHeader: %v", err)
			}
			if err != nil {
				return
			}
			if got := binary.BigEndian.Uint32(b); got != tt.wantAF {
				t.Errorf("AF %d, want %d", got, tt.wantAF)
			}
			if n, ok := parseHeader(b); !ok || n != len(tt.pkt) {
				t.Errorf("parseHeader = %d, %v", n, ok)
			}
		})
	}
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"runt", []byte{0, 0, 0, 2}},
		{"AF_INET with IPv6 inside", frame(2, ping6)},
		{"AF_INET6 with IPv4 inside", frame(24, ping4)},
		{"Linux AF_INET6", frame(10, ping6)},
		{"host order AF", append([]byte{2, 0, 0, 0}, ping4...)},
	} {
		if _, ok := parseHeader(tt.b); ok {
			t.Errorf("parseHeader(%s) accepted", tt.name)
		}
	}
}

func TestParseName(t *testing.T) {
	for _, tt := range []struct {
		in   string
		unit int
		auto bool
		ok   bool
	}{
		{"tun", -1, true, true},
		{"tun0", 0, false, true},
		{"tun17", 17, false, true},
		{"tun2147483647", 2147483647, false, true},
		{"tun2147483648", 0, false, false},
		{"tun01", 0, false, false},
		{"tun-1", 0, false, false},
		{"tun+1", 0, false, false},
		{"wg0", 0, false, false},
		{"utun3", 0, false, false},
		{"tunx", 0, false, false},
		{"", 0, false, false},
	} {
		unit, auto, err := ParseName(tt.in)
		if (err == nil) != tt.ok || err == nil && (unit != tt.unit || auto != tt.auto) {
			t.Errorf("ParseName(%q) = %d, %v, %v", tt.in, unit, auto, err)
		}
	}
	if UnitName(4) != "tun4" || DevPath(4) != "/dev/tun4" {
		t.Error("UnitName / DevPath")
	}
}

// ifInfo builds an RTM_IFINFO message as OpenBSD's if_msghdr (168 bytes
// on LP64).
func ifInfo(index int, flags uint32, mtu uint32) []byte {
	b := make([]byte, 168)
	binary.NativeEndian.PutUint16(b[0:], uint16(len(b)))
	b[2], b[3] = rtmVersion, rtmIfInfo
	binary.NativeEndian.PutUint16(b[4:], uint16(len(b)))
	binary.NativeEndian.PutUint16(b[6:], uint16(index))
	binary.NativeEndian.PutUint32(b[16:], flags)
	binary.NativeEndian.PutUint32(b[28:], mtu)
	return b
}

// ifAnnounce builds an RTM_IFANNOUNCE message (26 bytes).
func ifAnnounce(index int, what uint16, name string) []byte {
	b := make([]byte, 26)
	binary.NativeEndian.PutUint16(b[0:], uint16(len(b)))
	b[2], b[3] = rtmVersion, rtmIfAnnounce
	binary.NativeEndian.PutUint16(b[4:], uint16(len(b)))
	binary.NativeEndian.PutUint16(b[6:], uint16(index))
	binary.NativeEndian.PutUint16(b[8:], what)
	copy(b[10:], name)
	return b
}

func TestParseMessages(t *testing.T) {
	otherVersion := ifInfo(5, 1, 1400)
	otherVersion[2] = 4
	truncated := ifInfo(5, 1, 1400)[:20]
	binary.NativeEndian.PutUint16(truncated, 20)
	lying := ifInfo(5, 1, 1400)
	binary.NativeEndian.PutUint16(lying, 4000)
	for _, tt := range []struct {
		name     string
		msgs     [][]byte
		want     linkInfo
		wantInfo bool
		wantGone bool
	}{
		{"up", [][]byte{ifInfo(5, 0x8051, 1420)}, linkInfo{true, 1420}, true, false},
		{"down", [][]byte{ifInfo(5, 0x8050, 1500)}, linkInfo{false, 1500}, true, false},
		{"last wins", [][]byte{ifInfo(5, 1, 1420), ifInfo(7, 0, 9000), ifInfo(5, 0, 1280)}, linkInfo{false, 1280}, true, false},
		{"other interface", [][]byte{ifInfo(6, 1, 1420), ifAnnounce(6, ifanDeparture, "tun1")}, linkInfo{}, false, false},
		{"departure", [][]byte{ifInfo(5, 1, 1420), ifAnnounce(5, ifanDeparture, "tun0")}, linkInfo{true, 1420}, true, true},
		{"arrival", [][]byte{ifAnnounce(5, 0, "tun0")}, linkInfo{}, false, false},
		{"other version", [][]byte{otherVersion}, linkInfo{}, false, false},
		{"truncated", [][]byte{truncated}, linkInfo{}, false, false},
		{"length past the read", [][]byte{lying}, linkInfo{}, false, false},
		{"empty", nil, linkInfo{}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, info, gone := parseMessages(bytes.Join(tt.msgs, nil), 5)
			if got != tt.want || info != tt.wantInfo || gone != tt.wantGone {
				t.Errorf("got %+v, %v, %v; want %+v, %v, %v", got, info, gone, tt.want, tt.wantInfo, tt.wantGone)
			}
		})
	}
}

func TestTracker(t *testing.T) {
	var tr tracker
	steps := []struct {
		in   linkInfo
		want []tun.Event
	}{
		{linkInfo{false, 1420}, []tun.Event{tun.EventMTUUpdate}},
		{linkInfo{false, 1420}, nil},
		{linkInfo{true, 1420}, []tun.Event{tun.EventUp}},
		{linkInfo{true, 1420}, nil},
		{linkInfo{true, 1380}, []tun.Event{tun.EventMTUUpdate}},
		{linkInfo{false, 1280}, []tun.Event{tun.EventDown, tun.EventMTUUpdate}},
	}
	for i, s := range steps {
		if got := tr.update(s.in); !slices.Equal(got, s.want) {
			t.Errorf("step %d: %v, want %v", i, got, s.want)
		}
	}
	var fresh tracker
	if got := fresh.update(linkInfo{true, 1420}); !slices.Equal(got, []tun.Event{tun.EventUp, tun.EventMTUUpdate}) {
		t.Errorf("first state up: %v", got)
	}
}

// fakeFile is /dev/tunN: reads return queued frames, writes are
// recorded; Close makes pending and later reads fail.
type fakeFile struct {
	in     chan []byte
	mu     sync.Mutex
	out    [][]byte
	closed chan struct{}
	once   sync.Once
}

func newFakeFile() *fakeFile {
	return &fakeFile{in: make(chan []byte, 16), closed: make(chan struct{})}
}

func (f *fakeFile) Read(b []byte) (int, error) {
	select {
	case p := <-f.in:
		return copy(b, p), nil
	case <-f.closed:
		return 0, os.ErrClosed
	}
}

func (f *fakeFile) Write(b []byte) (int, error) {
	select {
	case <-f.closed:
		return 0, os.ErrClosed
	default:
	}
	f.mu.Lock()
	f.out = append(f.out, slices.Clone(b))
	f.mu.Unlock()
	return len(b), nil
}

func (f *fakeFile) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

type fakeSys struct {
	mtuV      int
	destroyed []string
}

func (s *fakeSys) mtu(string) (int, error) { return s.mtuV, nil }
func (s *fakeSys) destroy(name string) error {
	s.destroyed = append(s.destroyed, name)
	return nil
}

var _ io.ReadWriteCloser = (*fakeFile)(nil)

func TestDeviceReadWrite(t *testing.T) {
	f, sys := newFakeFile(), &fakeSys{mtuV: 1420}
	d := newDevice(f, "tun3", sys, true)
	const off = 16
	f.in <- []byte{0, 0, 0, 2} // runt: dropped
	f.in <- frame(17, ping4)   // unknown family: dropped
	f.in <- frame(2, ping4)
	bufs := [][]byte{make([]byte, 2048), make([]byte, 2048)}
	sizes := make([]int, 2)
	n, err := d.Read(bufs, sizes, off)
	if err != nil || n != 1 || sizes[0] != len(ping4) {
		t.Fatalf("Read = %d, %v, sizes %v", n, err, sizes)
	}
	if !bytes.Equal(bufs[0][off:off+sizes[0]], ping4) {
		t.Errorf("packet %x", bufs[0][off:off+sizes[0]])
	}
	if _, err := d.Read(bufs, sizes, 3); err == nil {
		t.Error("offset 3 accepted")
	}

	w4 := append(make([]byte, off), ping4...)
	w6 := append(make([]byte, off), ping6...)
	if n, err := d.Write([][]byte{w4, w6}, off); n != 2 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	want := [][]byte{frame(2, ping4), frame(24, ping6)}
	if !slices.EqualFunc(f.out, want, bytes.Equal) {
		t.Errorf("written\n%x\nwant\n%x", f.out, want)
	}
	bad := append(make([]byte, off), 0x10, 0, 0)
	if n, err := d.Write([][]byte{w4, bad, w4}, off); n != 1 || err == nil {
		t.Errorf("Write with a non-IP packet = %d, %v", n, err)
	}
	if _, err := d.Write([][]byte{w4}, 2); err == nil {
		t.Error("Write with offset 2 accepted")
	}
	if mtu, err := d.MTU(); mtu != 1420 || err != nil {
		t.Errorf("MTU = %d, %v", mtu, err)
	}
	if name, _ := d.Name(); name != "tun3" || d.BatchSize() != 1 {
		t.Errorf("Name %q BatchSize %d", name, d.BatchSize())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sys.destroyed, []string{"tun3"}) {
		t.Errorf("destroyed %v, want [tun3]", sys.destroyed)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if len(sys.destroyed) != 1 {
		t.Error("second Close destroyed again")
	}
}

func TestDeviceEventsAndDeparture(t *testing.T) {
	f, sys := newFakeFile(), &fakeSys{}
	d := newDevice(f, "tun0", sys, true)
	d.linkChanged(linkInfo{false, 1420})
	d.linkChanged(linkInfo{true, 1420})
	readErr := make(chan error, 1)
	go func() {
		_, err := d.Read([][]byte{make([]byte, 100)}, []int{0}, 16)
		readErr <- err
	}()
	d.departed()
	select {
	case err := <-readErr:
		if !errors.Is(err, errGone) {
			t.Errorf("Read after departure: %v, want errGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked after the interface departed")
	}
	var got []tun.Event
	for ev := range d.Events() { // closed by Close
		got = append(got, ev)
	}
	if want := []tun.Event{tun.EventMTUUpdate, tun.EventUp}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if len(sys.destroyed) != 0 {
		t.Errorf("destroyed a departed interface: %v", sys.destroyed)
	}
	d.linkChanged(linkInfo{false, 1}) // after Close: must not panic
}

func TestDeviceAdoptedNotDestroyed(t *testing.T) {
	f, sys := newFakeFile(), &fakeSys{}
	d := newDevice(f, "tun1", sys, false)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range d.Events() {
		}
	}()
	for i := range 100 {
		d.linkChanged(linkInfo{i%2 == 0, 1420 + i})
	}
	d.Close()
	wg.Wait()
	if len(sys.destroyed) != 0 {
		t.Errorf("destroyed %v", sys.destroyed)
	}
	if _, err := d.Write([][]byte{append(make([]byte, 16), ping4...)}, 16); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// loopFile answers every read with the same frame, without blocking.
type loopFile struct{ frame []byte }

func (l *loopFile) Read(b []byte) (int, error)  { return copy(b, l.frame), nil }
func (l *loopFile) Write(b []byte) (int, error) { return len(b), nil }
func (l *loopFile) Close() error                { return nil }

func TestNoAllocs(t *testing.T) {
	d := newDevice(&loopFile{frame(2, ping4)}, "tun0", &fakeSys{}, false)
	bufs := [][]byte{make([]byte, 2048)}
	sizes := []int{0}
	w := [][]byte{append(make([]byte, 16), ping4...)}
	if n := testing.AllocsPerRun(100, func() {
		d.Read(bufs, sizes, 16)
		d.Write(w, 16)
	}); n != 0 {
		t.Errorf("%v allocations per Read+Write", n)
	}
}

func BenchmarkReadWrite(b *testing.B) {
	pkt := append(append([]byte{}, ping4...), make([]byte, 1400)...)
	d := newDevice(&loopFile{frame(2, pkt)}, "tun0", &fakeSys{}, false)
	bufs := [][]byte{make([]byte, 2048)}
	sizes := []int{0}
	w := [][]byte{append(make([]byte, 16), pkt...)}
	b.ReportAllocs()
	b.SetBytes(int64(2 * len(pkt)))
	for b.Loop() {
		d.Read(bufs, sizes, 16)
		d.Write(w, 16)
	}
}

func FuzzParseMessages(f *testing.F) {
	f.Add(ifInfo(5, 1, 1420))
	f.Add(append(ifInfo(5, 1, 1420), ifAnnounce(5, 1, "tun0")...))
	f.Add([]byte{8, 0, 5, 14, 8, 0, 5, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseMessages(b, 5)
		parseHeader(b)
	})
}
