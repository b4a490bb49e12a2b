package tundev

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/tun"
)

// fakeRing is an in-memory Wintun session. It checks the ring contract:
// every received packet is released exactly once, and nothing touches the
// ring after End.
type fakeRing struct {
	mu       sync.Mutex
	cond     *sync.Cond
	in       [][]byte // packets for Receive
	out      [][]byte // packets sent
	sendCap  int      // Allocate fails with errFull beyond this many sends
	held     map[*byte]bool
	woken    bool
	ended    bool
	failRecv error // returned by Receive once in is empty
	misuse   []string
	waits    int
}

func newFakeRing() *fakeRing {
	r := &fakeRing{held: map[*byte]bool{}, sendCap: 1 << 30}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *fakeRing) inject(pkts ...[]byte) {
	r.mu.Lock()
	for _, p := range pkts {
		r.in = append(r.in, append([]byte(nil), p...))
	}
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *fakeRing) checkLive(op string) {
	if r.ended {
		r.misuse = append(r.misuse, op+" after End")
	}
}

func (r *fakeRing) Receive() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLive("Receive")
	if len(r.in) == 0 {
		if r.failRecv != nil {
			return nil, r.failRecv
		}
		return nil, errEmpty
	}
	p := r.in[0]
	r.in = r.in[1:]
	r.held[&p[0]] = true
	return p, nil
}

func (r *fakeRing) Release(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLive("Release")
	if !r.held[&p[0]] {
		r.misuse = append(r.misuse, "Release of a packet not held")
	}
	delete(r.held, &p[0])
	// The ring reuses the memory: a reader still looking at it sees junk.
	for i := range p {
		p[i] = 0xee
	}
}

func (r *fakeRing) Allocate(n int) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLive("Allocate")
	if len(r.out) >= r.sendCap {
		return nil, errFull
	}
	return make([]byte, n), nil
}

func (r *fakeRing) Send(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLive("Send")
	r.out = append(r.out, p)
}

func (r *fakeRing) Wait() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLive("Wait")
	r.waits++
	for len(r.in) == 0 && !r.woken && r.failRecv == nil {
		r.cond.Wait()
	}
	return nil
}

func (r *fakeRing) Wake() {
	r.mu.Lock()
	r.woken = true
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *fakeRing) End() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLive("End")
	r.ended = true
}

func (r *fakeRing) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.misuse) > 0 {
		t.Errorf("ring misuse: %v", r.misuse)
	}
	if len(r.held) > 0 {
		t.Errorf("%d received packets never released", len(r.held))
	}
}

func newTestDevice(t *testing.T) (*Device, *fakeRing, *int) {
	t.Helper()
	r := newFakeRing()
	releases := new(int)
	d := newDevice("wg0", 42, true, r, func() error { *releases++; return nil }, DefaultMTU)
	t.Cleanup(func() { d.Close(); r.check(t) })
	return d, r, releases
}

func packet(n int, tag byte) []byte {
	p := make([]byte, n)
	p[0] = 0x45
	for i := 1; i < n; i++ {
		p[i] = tag
	}
	return p
}

func buffers(n, size int) ([][]byte, []int) {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs, make([]int, n)
}

func TestReadDrainsBatch(t *testing.T) {
	const offset = 16
	tests := []struct {
		name    string
		inject  []int // packet sizes
		nbufs   int
		bufSize int
		want    []int // sizes of the first Read
		dropped uint64
	}{
		{name: "one", inject: []int{60}, nbufs: 4, bufSize: 2000, want: []int{60}},
		{name: "all ready", inject: []int{60, 1280, 1420}, nbufs: 4, bufSize: 2000, want: []int{60, 1280, 1420}},
		{name: "more than bufs", inject: []int{20, 21, 22, 23, 24}, nbufs: 3, bufSize: 2000, want: []int{20, 21, 22}},
		{name: "exact fit", inject: []int{100}, nbufs: 1, bufSize: 100 + offset, want: []int{100}},
		{name: "too long dropped", inject: []int{101, 50}, nbufs: 2, bufSize: 100 + offset, want: []int{50}, dropped: 1},
		{name: "max packet", inject: []int{MaxPacket}, nbufs: 1, bufSize: MaxPacket + offset, want: []int{MaxPacket}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r, _ := newTestDevice(t)
			var sent [][]byte
			for i, n := range tt.inject {
				sent = append(sent, packet(n, byte(i)))
			}
			r.inject(sent...)
			bufs, sizes := buffers(tt.nbufs, tt.bufSize)
			n, err := d.Read(bufs, sizes, offset)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.want, sizes[:n]); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
			// Every packet read is intact, in ring order.
			j := 0
			for i := range n {
				for len(sent[j]) != sizes[i] {
					j++
				}
				if !bytes.Equal(bufs[i][offset:offset+sizes[i]], sent[j]) {
					t.Errorf("packet %d differs from packet %d sent", i, j)
				}
				j++
			}
			if got := d.Dropped(); got != tt.dropped {
				t.Errorf("Dropped() = %d, want %d", got, tt.dropped)
			}
			if r.waits != 0 {
				t.Errorf("Read waited %d times with packets ready", r.waits)
			}
		})
	}
}

func TestReadWaitsThenDrains(t *testing.T) {
	d, r, _ := newTestDevice(t)
	done := make(chan int)
	bufs, sizes := buffers(8, 1500)
	go func() {
		n, err := d.Read(bufs, sizes, 0)
		if err != nil {
			t.Errorf("Read: %v", err)
		}
		done <- n
	}()
	select {
	case n := <-done:
		t.Fatalf("Read returned %d packets from an empty ring", n)
	case <-time.After(20 * time.Millisecond):
	}
	// Two packets arrive together: one wake-up, both returned.
	r.mu.Lock()
	r.in = append(r.in, packet(40, 1), packet(41, 2))
	r.mu.Unlock()
	r.cond.Broadcast()
	if n := <-done; n != 2 {
		t.Fatalf("Read returned %d packets, want 2", n)
	}
	if diff := cmp.Diff([]int{40, 41}, sizes[:2]); diff != "" {
		t.Errorf("sizes (-want +got):\n%s", diff)
	}
}

func TestCloseWakesRead(t *testing.T) {
	d, r, releases := newTestDevice(t)
	errc := make(chan error)
	go func() {
		bufs, sizes := buffers(2, 1500)
		_, err := d.Read(bufs, sizes, 0)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close = %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked after Close")
	}
	if !r.ended {
		t.Error("Close did not end the session")
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if *releases != 1 {
		t.Errorf("adapter released %d times, want 1", *releases)
	}
	bufs, sizes := buffers(1, 100)
	if _, err := d.Read(bufs, sizes, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close = %v, want os.ErrClosed", err)
	}
	if _, err := d.Write([][]byte{packet(20, 0)}, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want os.ErrClosed", err)
	}
	if _, ok := <-d.Events(); ok {
		// EventUp is still queued; the channel must then be closed.
		if _, ok := <-d.Events(); ok {
			t.Error("Events not closed by Close")
		}
	}
}

func TestCloseReportsReleaseError(t *testing.T) {
	r := newFakeRing()
	d := newDevice("wg0", 1, true, r, func() error { return errors.New("boom") }, DefaultMTU)
	err := d.Close()
	if err == nil || !strings.Contains(err.Error(), "tun close: wg0: boom") {
		t.Errorf("Close = %v, want tun close: wg0: boom", err)
	}
}

func TestReadTerminating(t *testing.T) {
	d, r, _ := newTestDevice(t)
	r.failRecv = errTerminating
	r.inject(packet(30, 1))
	bufs, sizes := buffers(4, 100)
	// The packet before the error is delivered, the error comes next.
	if n, err := d.Read(bufs, sizes, 0); n != 1 || err != nil {
		t.Fatalf("Read = %d, %v; want 1, nil", n, err)
	}
	if _, err := d.Read(bufs, sizes, 0); !errors.Is(err, os.ErrClosed) || !strings.Contains(err.Error(), "terminating") {
		t.Fatalf("Read = %v, want adapter is terminating wrapping os.ErrClosed", err)
	}
}

func TestWrite(t *testing.T) {
	const offset = 32
	tests := []struct {
		name    string
		sizes   []int
		sendCap int
		wantN   int
		wantOut []int
		dropped uint64
		wantErr string
	}{
		{name: "batch", sizes: []int{20, 1280, 60}, sendCap: 10, wantN: 3, wantOut: []int{20, 1280, 60}},
		{name: "empty skipped", sizes: []int{20, 0, 40}, sendCap: 10, wantN: 3, wantOut: []int{20, 40}},
		{name: "ring full drops", sizes: []int{20, 21, 22}, sendCap: 1, wantN: 3, wantOut: []int{20}, dropped: 2},
		{name: "too big", sizes: []int{20, MaxPacket + 1}, sendCap: 10, wantN: 1, wantOut: []int{20}, wantErr: "exceeds 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r, _ := newTestDevice(t)
			r.sendCap = tt.sendCap
			var bufs [][]byte
			for i, n := range tt.sizes {
				b := make([]byte, offset+n)
				if n > 0 {
					copy(b[offset:], packet(n, byte(i)))
				}
				bufs = append(bufs, b)
			}
			n, err := d.Write(bufs, offset)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Write = %v, want error containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if n != tt.wantN {
				t.Errorf("Write = %d, want %d", n, tt.wantN)
			}
			var got []int
			for _, p := range r.out {
				got = append(got, len(p))
				if !bytes.Equal(p[1:], bytes.Repeat(p[1:2], len(p)-1)) || p[0] != 0x45 {
					t.Errorf("sent packet of %d bytes is not what was written", len(p))
				}
			}
			if diff := cmp.Diff(tt.wantOut, got); diff != "" {
				t.Errorf("sent sizes (-want +got):\n%s", diff)
			}
			if d.Dropped() != tt.dropped {
				t.Errorf("Dropped() = %d, want %d", d.Dropped(), tt.dropped)
			}
		})
	}
}

func TestMTUAndEvents(t *testing.T) {
	d, _, _ := newTestDevice(t)
	if ev := <-d.Events(); ev != tun.EventUp {
		t.Fatalf("first event = %v, want EventUp", ev)
	}
	if mtu, _ := d.MTU(); mtu != DefaultMTU {
		t.Errorf("MTU() = %d, want %d", mtu, DefaultMTU)
	}
	if err := d.SetMTU(1280); err != nil {
		t.Fatal(err)
	}
	if ev := <-d.Events(); ev != tun.EventMTUUpdate {
		t.Fatalf("event = %v, want EventMTUUpdate", ev)
	}
	if mtu, _ := d.MTU(); mtu != 1280 {
		t.Errorf("MTU() = %d, want 1280", mtu)
	}
	if err := d.SetMTU(1280); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-d.Events():
		t.Errorf("unchanged MTU sent %v", ev)
	default:
	}
	for _, bad := range []int{0, 575, MaxPacket + 1} {
		if err := d.SetMTU(bad); err == nil {
			t.Errorf("SetMTU(%d) succeeded", bad)
		}
	}
	// Many changes never block, even with nobody reading events.
	for i := range 100 {
		d.SetMTU(1300 + i)
	}
	if name, _ := d.Name(); name != "wg0" || d.LUID() != 42 || !d.Created() || d.BatchSize() != BatchSize {
		t.Errorf("Name/LUID/Created/BatchSize = %s/%d/%v/%d", name, d.LUID(), d.Created(), d.BatchSize())
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		in      Options
		want    Options
		wantErr string
	}{
		{in: Options{}, want: Options{MTU: DefaultMTU, RingCapacity: RingCapacity, TunnelType: "WireGuard"}},
		{in: Options{MTU: 1280, RingCapacity: 0x20000, TunnelType: "x"}, want: Options{MTU: 1280, RingCapacity: 0x20000, TunnelType: "x"}},
		{in: Options{MTU: 100}, wantErr: "MTU 100 out of range"},
		{in: Options{RingCapacity: 0x30000}, wantErr: "not a power of two"},
		{in: Options{RingCapacity: 0x10000}, wantErr: "not a power of two"},
		{in: Options{RingCapacity: 0x8000000}, wantErr: "not a power of two"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("withDefaults = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcurrentCloseRace runs a reader and a writer against Close; with
// -race it checks the session is never ended under them.
func TestConcurrentCloseRace(t *testing.T) {
	for range 20 {
		d, r, _ := newTestDevice(t)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			bufs, sizes := buffers(4, 100)
			for {
				if _, err := d.Read(bufs, sizes, 0); err != nil {
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			pkt := [][]byte{packet(20, 1)}
			for {
				if _, err := d.Write(pkt, 0); err != nil {
					return
				}
				r.inject(packet(20, 2))
			}
		}()
		time.Sleep(time.Millisecond)
		d.Close()
		wg.Wait()
		r.check(t)
	}
}

// loopRing always has a packet ready and never fills: it measures the
// Device's own cost.
type loopRing struct {
	pkt  []byte
	send []byte
}

func (r *loopRing) Receive() ([]byte, error)       { return r.pkt, nil }
func (r *loopRing) Release([]byte)                 {}
func (r *loopRing) Allocate(n int) ([]byte, error) { return r.send[:n], nil }
func (r *loopRing) Send([]byte)                    {}
func (r *loopRing) Wait() error                    { return nil }
func (r *loopRing) Wake()                          {}
func (r *loopRing) End()                           {}

func newLoopDevice() *Device {
	r := &loopRing{pkt: packet(1420, 1), send: make([]byte, MaxPacket)}
	return newDevice("wg0", 1, true, r, func() error { return nil }, DefaultMTU)
}

func TestReadWriteAllocs(t *testing.T) {
	d := newLoopDevice()
	defer d.Close()
	bufs, sizes := buffers(BatchSize, 1500)
	allocs := testing.AllocsPerRun(100, func() {
		if n, err := d.Read(bufs, sizes, 16); n != BatchSize || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
		if _, err := d.Write(bufs, 16); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Read+Write allocate %v times per batch, want 0", allocs)
	}
}

func BenchmarkRead(b *testing.B) {
	d := newLoopDevice()
	defer d.Close()
	bufs, sizes := buffers(BatchSize, 1500)
	b.ReportAllocs()
	b.SetBytes(1420 * BatchSize)
	for b.Loop() {
		if _, err := d.Read(bufs, sizes, 16); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	d := newLoopDevice()
	defer d.Close()
	bufs, _ := buffers(BatchSize, 1436)
	b.ReportAllocs()
	b.SetBytes(1420 * BatchSize)
	for b.Loop() {
		if _, err := d.Write(bufs, 16); err != nil {
			b.Fatal(err)
		}
	}
}
