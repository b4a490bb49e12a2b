//go:build unix

package tundev

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/internal/testenv"
)

// fakeSys is the interface side of the OS.
type fakeSys struct {
	mu        sync.Mutex
	mtu       int
	destroyed []string
	names     map[int]string
}

func (s *fakeSys) MTU(string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mtu == 0 {
		return 0, errors.New("no mtu")
	}
	return s.mtu, nil
}

func (s *fakeSys) Destroy(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.destroyed = append(s.destroyed, name)
	return nil
}

func (s *fakeSys) NameOf(index int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.names[index]; ok {
		return n, nil
	}
	return "", fmt.Errorf("interface %d: %w", index, os.ErrNotExist)
}

// harness is a device over one end of a SOCK_SEQPACKET pair (packet
// boundaries kept, like a tun descriptor); kernel is the other end.
type harness struct {
	d      *Device
	kernel *os.File
	sys    *fakeSys
	msgs   chan ifMsg
}

func newHarness(t *testing.T, up bool) *harness {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		testenv.Skip(t, "no SOCK_SEQPACKET socketpair: %v", err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{
		kernel: os.NewFile(uintptr(fds[1]), "kernel"),
		sys:    &fakeSys{names: map[int]string{}},
		msgs:   make(chan ifMsg),
	}
	h.d = newDevice(os.NewFile(uintptr(fds[0]), "tun"), "wg0", 7, 1420, up, h.sys, h.msgs, nil)
	t.Cleanup(func() {
		h.d.Close()
		h.kernel.Close()
	})
	return h
}

func withHeadroom(offset int, pkt []byte) []byte {
	b := make([]byte, offset+len(pkt)+16)
	copy(b[offset:], pkt)
	return b[:offset+len(pkt)]
}

func TestWrite(t *testing.T) {
	h := newHarness(t, false)
	const offset = 16
	bufs := [][]byte{withHeadroom(offset, ping4), withHeadroom(offset, []byte{0x10, 1, 2}), withHeadroom(offset, ping6)}
	n, err := h.d.Write(bufs, offset)
	if n != 2 || !errors.Is(err, errNotIP) {
		t.Fatalf("Write = %d, %v; want 2 packets and errNotIP for the other", n, err)
	}
	buf := make([]byte, 2048)
	for _, want := range [][]byte{append([]byte{0, 0, 0, 2}, ping4...), append([]byte{0, 0, 0, 28}, ping6...)} {
		m, err := h.kernel.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:m], want) {
			t.Errorf("kernel got % x\nwant % x", buf[:m], want)
		}
	}
	if _, err := h.d.Write(bufs, 3); !errors.Is(err, errShortOffset) {
		t.Errorf("Write with offset 3: %v", err)
	}
}

func TestRead(t *testing.T) {
	h := newHarness(t, false)
	// A packet of another family is skipped, then an IPv6 one arrives.
	for _, p := range [][]byte{append([]byte{0, 0, 0, 18}, 1, 2, 3), {0, 0}, append([]byte{0, 0, 0, 28}, ping6...)} {
		if _, err := h.kernel.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	const offset = 32
	bufs := [][]byte{make([]byte, 2048)}
	sizes := make([]int, 1)
	n, err := h.d.Read(bufs, sizes, offset)
	if err != nil || n != 1 {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if got := bufs[0][offset : offset+sizes[0]]; !bytes.Equal(got, ping6) {
		t.Errorf("Read % x\nwant % x", got, ping6)
	}
	if _, err := h.d.Read(bufs, sizes, 2); !errors.Is(err, errShortOffset) {
		t.Errorf("Read with offset 2: %v", err)
	}
}

func nextEvent(t *testing.T, d *Device) (tun.Event, bool) {
	t.Helper()
	select {
	case e, ok := <-d.Events():
		return e, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return 0, false
}

func TestEvents(t *testing.T) {
	h := newHarness(t, true)
	if e, _ := nextEvent(t, h.d); e != tun.EventUp {
		t.Fatalf("first event %v, want up (created up)", e)
	}
	send := func(m ifMsg) { h.msgs <- m }
	send(ifMsg{Index: 7, Info: true, Flags: iffUp, MTU: 1420})  // nothing new
	send(ifMsg{Index: 8, Info: true, Flags: 0, MTU: 9000})      // another interface
	send(ifMsg{Index: 7, Info: true, Flags: iffUp, MTU: 1380})  // MTU
	send(ifMsg{Index: 7, Info: true, Flags: 0x8002, MTU: 1380}) // down
	send(ifMsg{Index: 7, Info: true, Flags: 0x8043, MTU: 1280}) // up and MTU
	for _, want := range []tun.Event{tun.EventMTUUpdate, tun.EventDown, tun.EventUp, tun.EventMTUUpdate} {
		if e, ok := nextEvent(t, h.d); !ok || e != want {
			t.Fatalf("event %v (open %v), want %v", e, ok, want)
		}
	}
	if mtu, err := h.d.MTU(); err != nil || mtu != 1280 {
		t.Errorf("MTU = %d, %v; want the last seen 1280", mtu, err)
	}
	h.sys.mu.Lock()
	h.sys.mtu = 1300
	h.sys.mu.Unlock()
	if mtu, _ := h.d.MTU(); mtu != 1300 {
		t.Errorf("MTU = %d, want the kernel's 1300", mtu)
	}
}

func TestRenameIsNotDeparture(t *testing.T) {
	h := newHarness(t, false)
	h.sys.mu.Lock()
	h.sys.names[7] = "wg9"
	h.sys.mu.Unlock()
	h.msgs <- ifMsg{Index: 7, Departure: true}
	h.msgs <- ifMsg{Index: 7, Info: true, Flags: iffUp} // synchronises
	if e, ok := nextEvent(t, h.d); !ok || e != tun.EventUp {
		t.Fatalf("event %v, %v", e, ok)
	}
	if name, _ := h.d.Name(); name != "wg9" {
		t.Errorf("Name = %q after rename, want wg9", name)
	}
	h.d.Close()
	if want := []string{"wg9"}; fmt.Sprint(h.sys.destroyed) != fmt.Sprint(want) {
		t.Errorf("destroyed %v, want %v", h.sys.destroyed, want)
	}
}

func TestDepartureClosesDevice(t *testing.T) {
	h := newHarness(t, false)
	errc := make(chan error, 1)
	go func() {
		_, err := h.d.Read([][]byte{make([]byte, 2048)}, []int{0}, 16)
		errc <- err
	}()
	h.msgs <- ifMsg{Index: 7, Departure: true}
	if _, ok := nextEvent(t, h.d); ok {
		t.Error("Events still open after the interface went away")
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Error("Read succeeded on a departed interface")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked after the interface went away")
	}
}

func TestClose(t *testing.T) {
	h := newHarness(t, false)
	errc := make(chan error, 1)
	go func() {
		_, err := h.d.Read([][]byte{make([]byte, 2048)}, []int{0}, 16)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := h.d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("pending Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	if _, ok := <-h.d.Events(); ok {
		t.Error("Events open after Close")
	}
	if err := h.d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := h.d.Write([][]byte{withHeadroom(4, ping4)}, 4); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if fmt.Sprint(h.sys.destroyed) != "[wg0]" {
		t.Errorf("destroyed %v, want [wg0] once", h.sys.destroyed)
	}
}

func TestNoAllocs(t *testing.T) {
	h := newHarness(t, false)
	bufs := [][]byte{withHeadroom(16, ping4)}
	rbufs, sizes := [][]byte{make([]byte, 2048)}, []int{0}
	// Write into the device, read back on the kernel side; and the
	// other way round.
	kbuf := make([]byte, 2048)
	pkt := append([]byte{0, 0, 0, 2}, ping4...)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := h.d.Write(bufs, 16); err != nil {
			t.Fatal(err)
		}
		if _, err := h.kernel.Read(kbuf); err != nil {
			t.Fatal(err)
		}
		if _, err := h.kernel.Write(pkt); err != nil {
			t.Fatal(err)
		}
		if _, err := h.d.Read(rbufs, sizes, 16); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet round trip, want 0", allocs)
	}
}

func BenchmarkWriteRead(b *testing.B) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		b.Skip(err)
	}
	unix.SetNonblock(fds[0], true)
	unix.SetNonblock(fds[1], true)
	kernel := os.NewFile(uintptr(fds[1]), "kernel")
	defer kernel.Close()
	d := newDevice(os.NewFile(uintptr(fds[0]), "tun"), "wg0", 1, 1420, false, &fakeSys{}, make(chan ifMsg), nil)
	defer d.Close()
	pkt := make([]byte, 1420)
	copy(pkt, ping4)
	bufs := [][]byte{withHeadroom(16, pkt)}
	kbuf := make([]byte, 2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if _, err := d.Write(bufs, 16); err != nil {
			b.Fatal(err)
		}
		if _, err := kernel.Read(kbuf); err != nil {
			b.Fatal(err)
		}
	}
}
