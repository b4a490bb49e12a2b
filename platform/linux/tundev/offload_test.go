package tundev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
)

const testOffset = 16

// expectSplit builds, independently of split.go, the segments a GSO frame
// of base with payload must be cut into.
func expectSplit(base pktSpec, payload []byte, mss int) [][]byte {
	var out [][]byte
	n := (len(payload) + mss - 1) / mss
	for k := range n {
		s := base
		s.payload = payload[k*mss : min((k+1)*mss, len(payload))]
		s.id = base.id + uint16(k)
		s.seq = base.seq + uint32(k*mss)
		if k != 0 {
			s.flags &^= tcpCWR
		}
		if k != n-1 {
			s.flags &^= tcpPSH | tcpFIN
		}
		out = append(out, s.build())
	}
	return out
}

// splitAll feeds a frame (virtio-net header + packet) through the splitter
// with nbuf buffers per call and returns all packets.
func splitAll(t testing.TB, frame []byte, nbuf int) ([][]byte, error) {
	var h vnetHdr
	if err := h.decode(frame); err != nil {
		return nil, err
	}
	pkt := frame[vnetHdrLen:]
	if h.gsoType == gsoNone {
		p := bytes.Clone(pkt)
		if h.flags&vnetFlagNeedsCsum != 0 {
			if err := completeChecksum(&h, p); err != nil {
				return nil, err
			}
		}
		return [][]byte{p}, nil
	}
	var s splitter
	if err := s.setFrame(&h, pkt); err != nil {
		return nil, err
	}
	var out [][]byte
	for s.pending() {
		bufs, sizes := makeBufs(nbuf, testOffset+65536)
		n, err := s.emit(bufs, sizes, testOffset)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			t.Fatalf("emit returned 0 with segments pending")
		}
		for i := range n {
			out = append(out, bytes.Clone(bufs[i][testOffset:testOffset+sizes[i]]))
		}
	}
	return out, nil
}

func TestSplit(t *testing.T) {
	tcpPSHFIN := defaultTCP4()
	tcpPSHFIN.flags = tcpACK | tcpPSH | tcpFIN | tcpCWR | tcpECE
	v6flags := defaultTCP6()
	v6flags.flags = tcpACK | tcpPSH | tcpCWR
	wrapID := defaultTCP4()
	wrapID.id = 0xfffe
	wrapID.seq = 0xffffff00
	noOpts := defaultTCP4()
	noOpts.opts = nil
	ipOpts := defaultTCP4()
	ipOpts.ipOpt = []byte{1, 1, 1, 0} // NOP NOP NOP EOL
	tests := []struct {
		name       string
		base       pktSpec
		total, mss int
	}{
		{"tcp4 even", defaultTCP4(), 1448 * 10, 1448},
		{"tcp4 short tail", defaultTCP4(), 65535 - 52, 1448},
		{"tcp4 flags", tcpPSHFIN, 5000, 1000},
		{"tcp4 wrap id and seq", wrapID, 9000, 1200},
		{"tcp4 no options odd mss", noOpts, 7777, 1001},
		{"tcp4 ip options", ipOpts, 4000, 1000},
		{"tcp4 one segment", defaultTCP4(), 500, 1448},
		{"tcp6", defaultTCP6(), 60000, 1428},
		{"tcp6 flags", v6flags, 3000, 1000},
		{"udp4", defaultUDP4(), 1200 * 20, 1200},
		{"udp4 short tail", defaultUDP4(), 1200*20 + 7, 1200},
		{"udp6", defaultUDP6(), 30001, 1400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := gsoFrame(tt.base, tt.total, tt.mss)
			payload := pattern(tt.total, 99)
			want := expectSplit(tt.base, payload, tt.mss)
			for _, nbuf := range []int{BatchSize, 3, 1} {
				got, err := splitAll(t, frame, nbuf)
				if err != nil {
					t.Fatalf("nbuf %d: %v", nbuf, err)
				}
				if len(got) != len(want) {
					t.Fatalf("nbuf %d: %d segments, want %d", nbuf, len(got), len(want))
				}
				for k := range got {
					if !bytes.Equal(got[k], want[k]) {
						t.Fatalf("nbuf %d: segment %d differs:\n got %x\nwant %x", nbuf, k, got[k][:64], want[k][:64])
					}
					checkValid(t, got[k])
				}
			}
		})
	}
}

// checkValid verifies a packet's checksums with the reference code.
func checkValid(t testing.TB, pkt []byte) {
	t.Helper()
	toff, proto := 40, pkt[6]
	if pkt[0]>>4 == 4 {
		toff, proto = int(pkt[0]&0xf)*4, pkt[9]
		if !ipv4HeaderValid(pkt) {
			t.Fatalf("bad IPv4 header checksum: %x", pkt[:toff])
		}
		if int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt) {
			t.Fatalf("IPv4 total length %d, packet %d", binary.BigEndian.Uint16(pkt[2:]), len(pkt))
		}
	} else if int(binary.BigEndian.Uint16(pkt[4:]))+40 != len(pkt) {
		t.Fatalf("IPv6 payload length %d, packet %d", binary.BigEndian.Uint16(pkt[4:]), len(pkt))
	}
	if !l4Valid(pkt, toff, proto) {
		t.Fatalf("bad transport checksum")
	}
}

func TestSplitInPlace(t *testing.T) {
	// The device reads a frame into bufs[0] and splits it from there.
	base := defaultTCP4()
	frame := gsoFrame(base, 20000, 1448)
	want := expectSplit(base, pattern(20000, 99), 1448)
	bufs, sizes := makeBufs(BatchSize, testOffset+65536)
	copy(bufs[0][testOffset-vnetHdrLen:], frame)
	var h vnetHdr
	h.decode(bufs[0][testOffset-vnetHdrLen:])
	var s splitter
	if err := s.setFrame(&h, bufs[0][testOffset:testOffset+len(frame)-vnetHdrLen]); err != nil {
		t.Fatal(err)
	}
	n, err := s.emit(bufs, sizes, testOffset)
	if err != nil || n != len(want) {
		t.Fatalf("emit = %d, %v; want %d", n, err, len(want))
	}
	for k := range n {
		if !bytes.Equal(bufs[k][testOffset:testOffset+sizes[k]], want[k]) {
			t.Fatalf("segment %d differs", k)
		}
	}
}

func TestSplitShortBuffer(t *testing.T) {
	frame := gsoFrame(defaultTCP4(), 10000, 1448)
	var h vnetHdr
	h.decode(frame)
	var s splitter
	if err := s.setFrame(&h, frame[vnetHdrLen:]); err != nil {
		t.Fatal(err)
	}
	bufs, sizes := makeBufs(8, testOffset+1000)
	if _, err := s.emit(bufs, sizes, testOffset); !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("emit into small buffers: %v, want io.ErrShortBuffer", err)
	}
	if s.pending() {
		t.Fatal("frame still pending after an error")
	}
}

func TestSplitRejects(t *testing.T) {
	good := gsoFrame(defaultTCP4(), 5000, 1000)
	mut := func(f func(h *vnetHdr, p []byte)) []byte {
		b := bytes.Clone(good)
		var h vnetHdr
		h.decode(b)
		f(&h, b[vnetHdrLen:])
		h.encode(b)
		return b
	}
	tests := []struct {
		name  string
		frame []byte
	}{
		{"zero gso size", mut(func(h *vnetHdr, p []byte) { h.gsoSize = 0 })},
		{"ufo", mut(func(h *vnetHdr, p []byte) { h.gsoType = gsoUDP })},
		{"v6 type on v4", mut(func(h *vnetHdr, p []byte) { h.gsoType = gsoTCPv6 })},
		{"csum start wrong", mut(func(h *vnetHdr, p []byte) { h.csumStart = 24 })},
		{"fragment", mut(func(h *vnetHdr, p []byte) { p[6] |= 0x20 })},
		{"udp proto", mut(func(h *vnetHdr, p []byte) { p[9] = protoUDP })},
		{"tcp doff", mut(func(h *vnetHdr, p []byte) { p[32] = 4 << 4 })},
		{"truncated", good[:vnetHdrLen+30]},
		{"not ip", mut(func(h *vnetHdr, p []byte) { p[0] = 0x55 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h vnetHdr
			h.decode(tt.frame)
			var s splitter
			if err := s.setFrame(&h, tt.frame[vnetHdrLen:]); err == nil {
				t.Fatalf("setFrame accepted a bad frame")
			}
		})
	}
}

func TestCompleteChecksum(t *testing.T) {
	for _, base := range []pktSpec{defaultTCP4(), defaultTCP6(), defaultUDP4(), defaultUDP6()} {
		base.payload = pattern(333, 1)
		pkt := base.build()
		want := bytes.Clone(pkt)
		toff := 40
		if pkt[0]>>4 == 4 {
			toff = 20
		}
		at := 16
		if base.proto == protoUDP {
			at = 6
		}
		// What the kernel hands us for CHECKSUM_PARTIAL.
		binary.BigEndian.PutUint16(pkt[toff+at:], refFold(refPseudo(pkt, base.proto, len(pkt)-toff)))
		h := vnetHdr{flags: vnetFlagNeedsCsum, csumStart: uint16(toff), csumOffset: uint16(at)}
		if err := completeChecksum(&h, pkt); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pkt, want) {
			t.Errorf("%v: completed checksum %x, want %x", base.src, pkt[toff+at:toff+at+2], want[toff+at:toff+at+2])
		}
	}
	h := vnetHdr{flags: vnetFlagNeedsCsum, csumStart: 30, csumOffset: 16}
	if completeChecksum(&h, make([]byte, 40)) == nil {
		t.Error("completeChecksum accepted an offset past the packet")
	}
}

func TestVnetHdrRoundTrip(t *testing.T) {
	h := vnetHdr{flags: 1, gsoType: 4, hdrLen: 0x1234, gsoSize: 1448, csumStart: 40, csumOffset: 16}
	b := make([]byte, vnetHdrLen)
	h.encode(b)
	var g vnetHdr
	if err := g.decode(b); err != nil || g != h {
		t.Fatalf("decode(encode(%+v)) = %+v, %v", h, g, err)
	}
	if g.decode(b[:9]) == nil {
		t.Fatal("decode accepted 9 bytes")
	}
}

func TestChecksumMatchesReference(t *testing.T) {
	for n := range 200 {
		b := pattern(n, n)
		for i := range b {
			b[i] ^= byte(i * 31)
		}
		if got, want := csumFold(csumAdd(0, b)), refFold(refSum(b)); got != want && !(got == 0xffff && want == 0) {
			t.Fatalf("len %d: csum %#x, reference %#x", n, got, want)
		}
	}
	// All ones: the sum must fold to 0xffff, never to 0.
	b := bytes.Repeat([]byte{0xff}, 64)
	if got := csumFold(csumAdd(0, b)); got != 0xffff {
		t.Fatalf("all-ones sum folds to %#x", got)
	}
}

// coalesceFrames runs the coalescer and returns the frames it would write.
func coalesceFrames(c *coalescer, pkts [][]byte) ([][]byte, []int) {
	bufs := make([][]byte, len(pkts))
	for i, p := range pkts {
		bufs[i] = append(make([]byte, testOffset, testOffset+len(p)), p...)
	}
	c.coalesce(bufs, testOffset)
	var frames [][]byte
	var counts []int
	for gi := range c.groups {
		g := &c.groups[gi]
		frames = append(frames, c.appendFrame(nil, g, bufs, testOffset))
		counts = append(counts, g.n)
	}
	return frames, counts
}

func TestCoalesceRoundTrip(t *testing.T) {
	flags := defaultTCP4()
	flags.flags = tcpACK | tcpCWR | tcpECE | tcpPSH
	fin := defaultTCP6()
	fin.flags = tcpACK | tcpFIN
	tests := []struct {
		name   string
		pkts   [][]byte
		counts []int
	}{
		{"tcp4", segments(defaultTCP4(), 10, 1448, 0), []int{10}},
		{"tcp4 short last", segments(defaultTCP4(), 10, 1448, 100), []int{10}},
		{"tcp4 cwr first psh last", segments(flags, 5, 1000, 0), []int{5}},
		{"tcp6 fin last", segments(fin, 7, 1200, 3), []int{7}},
		{"tcp4 max size", segments(defaultTCP4(), 50, 1400, 0), []int{46, 4}},
		{"udp4", segments(defaultUDP4(), 8, 1200, 0), []int{8}},
		{"udp6 short last", segments(defaultUDP6(), 8, 1200, 9), []int{8}},
		{"single", segments(defaultTCP4(), 1, 1448, 0), []int{1}},
		{"interleaved flows", interleave(segments(defaultTCP4(), 4, 1000, 0), segments(defaultTCP6(), 4, 1000, 0)), []int{4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCoalescer(true, true, BatchSize)
			frames, counts := coalesceFrames(c, tt.pkts)
			if fmt.Sprint(counts) != fmt.Sprint(tt.counts) {
				t.Fatalf("groups %v, want %v", counts, tt.counts)
			}
			var got [][]byte
			for _, f := range frames {
				var h vnetHdr
				h.decode(f)
				if h.gsoType != gsoNone {
					// What the kernel sees: a valid partial checksum.
					checkPartial(t, f)
				}
				segs, err := splitAll(t, f, BatchSize)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, segs...)
			}
			want := tt.pkts
			if tt.name == "interleaved flows" {
				want = append(append([][]byte{}, tt.pkts[0], tt.pkts[2], tt.pkts[4], tt.pkts[6]), tt.pkts[1], tt.pkts[3], tt.pkts[5], tt.pkts[7])
			}
			if len(got) != len(want) {
				t.Fatalf("%d packets after split, want %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("packet %d differs after round trip:\n got %x\nwant %x", i, got[i][:60], want[i][:60])
				}
			}
		})
	}
}

// checkPartial checks a coalesced frame as the kernel would: completing
// the checksum from csum_start over the whole frame gives a valid packet.
func checkPartial(t *testing.T, frame []byte) {
	t.Helper()
	var h vnetHdr
	h.decode(frame)
	pkt := bytes.Clone(frame[vnetHdrLen:])
	if h.flags != vnetFlagNeedsCsum || int(h.hdrLen) <= int(h.csumStart) {
		t.Fatalf("vnet header %+v", h)
	}
	at := int(h.csumStart) + int(h.csumOffset)
	// The field holds the pseudo-header sum, so summing from csum_start
	// covers pseudo-header, header and payload.
	binary.BigEndian.PutUint16(pkt[at:], ^refFold(refSum(pkt[h.csumStart:])))
	checkValid(t, pkt)
}

func interleave(a, b [][]byte) [][]byte {
	var out [][]byte
	for i := range a {
		out = append(out, a[i], b[i])
	}
	return out
}

func TestCoalesceRefuses(t *testing.T) {
	base := defaultTCP4()
	// mutate rebuilds packet k of a 4-packet flow with f applied.
	mutate := func(k int, f func(s *pktSpec)) [][]byte {
		pkts := segments(base, 4, 1000, 0)
		s := base
		s.payload = pattern(1000, k)
		s.id = base.id + uint16(k)
		s.seq = base.seq + uint32(k*1000)
		f(&s)
		pkts[k] = s.build()
		return pkts
	}
	badSum := segments(base, 4, 1000, 0)
	badSum[2][60] ^= 0xff
	badHead := segments(base, 4, 1000, 0)
	badHead[0][60] ^= 0xff
	udp0 := segments(defaultUDP4(), 3, 1000, 0)
	udp0[1][26], udp0[1][27] = 0, 0
	tests := []struct {
		name   string
		pkts   [][]byte
		counts []int
		tcp    bool
		udp    bool
	}{
		{"control", segments(base, 4, 1000, 0), []int{4}, true, true},
		{"tso off", segments(base, 4, 1000, 0), []int{1, 1, 1, 1}, false, true},
		{"uso off", segments(defaultUDP4(), 4, 1000, 0), []int{1, 1, 1, 1}, true, false},
		{"other port", mutate(2, func(s *pktSpec) { s.dport++ }), []int{2, 1, 1}, true, true},
		{"seq gap", mutate(2, func(s *pktSpec) { s.seq += 1 }), []int{2, 1, 1}, true, true},
		{"psh in middle", mutate(1, func(s *pktSpec) { s.flags |= tcpPSH }), []int{2, 2}, true, true},
		{"fin in middle", mutate(1, func(s *pktSpec) { s.flags |= tcpFIN }), []int{2, 2}, true, true},
		{"cwr later", mutate(2, func(s *pktSpec) { s.flags |= tcpCWR }), []int{2, 2}, true, true},
		{"ece differs", mutate(2, func(s *pktSpec) { s.flags |= tcpECE }), []int{2, 1, 1}, true, true},
		{"syn", mutate(0, func(s *pktSpec) { s.flags |= tcpSYN }), []int{1, 3}, true, true},
		{"rst", mutate(3, func(s *pktSpec) { s.flags |= tcpRST }), []int{3, 1}, true, true},
		{"urg", mutate(1, func(s *pktSpec) { s.flags |= tcpURG; s.urg = 5 }), []int{1, 1, 2}, true, true},
		{"no ack", mutate(0, func(s *pktSpec) { s.flags &^= tcpACK }), []int{1, 3}, true, true},
		{"options differ", mutate(2, func(s *pktSpec) { s.opts = []byte{1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 2} }), []int{2, 1, 1}, true, true},
		{"option length differs", mutate(2, func(s *pktSpec) { s.opts = nil }), []int{2, 1, 1}, true, true},
		{"ack differs", mutate(1, func(s *pktSpec) { s.ack++ }), []int{1, 1, 2}, true, true},
		{"window differs", mutate(1, func(s *pktSpec) { s.window++ }), []int{1, 1, 2}, true, true},
		{"ttl differs", mutate(1, func(s *pktSpec) { s.ttl-- }), []int{1, 1, 2}, true, true},
		{"tos differs", mutate(1, func(s *pktSpec) { s.tos = 4 }), []int{1, 1, 2}, true, true},
		{"df differs", mutate(1, func(s *pktSpec) { s.df = false }), []int{1, 1, 2}, true, true},
		{"fixed id without df", fixedID(false), []int{1, 1, 1}, true, true},
		{"id jump", mutate(2, func(s *pktSpec) { s.id += 5 }), []int{2, 1, 1}, true, true},
		{"ip options", mutate(0, func(s *pktSpec) { s.ipOpt = []byte{1, 1, 1, 0} }), []int{1, 3}, true, true},
		{"larger after", mutate(1, func(s *pktSpec) { s.payload = pattern(1001, 1) }), []int{1, 1, 2}, true, true},
		{"short in middle", mutate(1, func(s *pktSpec) { s.payload = pattern(999, 1) }), []int{2, 2}, true, true},
		{"bad checksum", badSum, []int{2, 1, 1}, true, true},
		{"bad head checksum", badHead, []int{1, 3}, true, true},
		{"udp zero checksum", udp0, []int{1, 1, 1}, true, true},
		{"pure acks", segments(base, 3, 0, 0), []int{1, 1, 1}, true, true},
		{"flow label differs", func() [][]byte {
			p := segments(defaultTCP6(), 3, 1000, 0)
			p[1][3] ^= 1
			fixChecksums(p[1], 40, protoTCP)
			return p
		}(), []int{1, 1, 1}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCoalescer(tt.tcp, tt.udp, BatchSize)
			orig := make([][]byte, len(tt.pkts))
			for i := range tt.pkts {
				orig[i] = bytes.Clone(tt.pkts[i])
			}
			frames, counts := coalesceFrames(c, tt.pkts)
			if fmt.Sprint(counts) != fmt.Sprint(tt.counts) {
				t.Fatalf("groups %v, want %v", counts, tt.counts)
			}
			// Whatever was merged must split back into the originals.
			var got [][]byte
			for _, f := range frames {
				segs, err := splitAll(t, f, BatchSize)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, segs...)
			}
			if len(got) != len(orig) {
				t.Fatalf("%d packets after split, want %d", len(got), len(orig))
			}
			for i := range got {
				if !bytes.Equal(got[i], orig[i]) {
					t.Fatalf("packet %d changed", i)
				}
			}
		})
	}
}

// fixedID returns three segments that all carry the same IPv4 ID.
func fixedID(df bool) [][]byte {
	base := defaultTCP4()
	base.df = df
	p := segments(base, 3, 1000, 0)
	for _, q := range p {
		binary.BigEndian.PutUint16(q[4:], 0)
		fixChecksums(q, 20, protoTCP)
	}
	return p
}

func TestCoalesceFixedID(t *testing.T) {
	// DF packets with a constant ID (RFC 6864) merge; splitting gives them
	// increasing IDs, and everything else comes back unchanged.
	pkts := fixedID(true)
	orig := make([][]byte, len(pkts))
	for i := range pkts {
		orig[i] = bytes.Clone(pkts[i])
	}
	c := newCoalescer(true, true, BatchSize)
	frames, counts := coalesceFrames(c, pkts)
	if fmt.Sprint(counts) != "[3]" {
		t.Fatalf("groups %v, want [3]", counts)
	}
	got, err := splitAll(t, frames[0], BatchSize)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		checkValid(t, got[i])
		if id := binary.BigEndian.Uint16(got[i][4:]); id != uint16(i) {
			t.Fatalf("segment %d has ID %d", i, id)
		}
		g, o := bytes.Clone(got[i]), bytes.Clone(orig[i])
		for _, q := range [][]byte{g, o} {
			copy(q[4:6], []byte{0, 0})
			copy(q[10:12], []byte{0, 0})
		}
		if !bytes.Equal(g, o) {
			t.Fatalf("segment %d differs beyond the ID", i)
		}
	}
}

func TestCoalesceAllocs(t *testing.T) {
	pkts := segments(defaultTCP4(), 44, 1448, 0)
	bufs := make([][]byte, len(pkts))
	for i, p := range pkts {
		bufs[i] = append(make([]byte, testOffset, testOffset+len(p)), p...)
	}
	c := newCoalescer(true, true, BatchSize)
	allocs := testing.AllocsPerRun(50, func() {
		c.coalesce(bufs, testOffset)
	})
	if allocs != 0 {
		t.Fatalf("coalesce allocates %.1f times per call", allocs)
	}
	frame := gsoFrame(defaultTCP4(), 64000, 1448)
	out, sizes := makeBufs(BatchSize, testOffset+2048)
	var s splitter
	var h vnetHdr
	allocs = testing.AllocsPerRun(50, func() {
		h.decode(frame)
		s.setFrame(&h, frame[vnetHdrLen:])
		s.emit(out, sizes, testOffset)
	})
	if allocs != 0 {
		t.Fatalf("split allocates %.1f times per frame", allocs)
	}
}

func BenchmarkSplitTCP64K(b *testing.B) {
	frame := gsoFrame(defaultTCP4(), 65535-52, 1448)
	out, sizes := makeBufs(BatchSize, testOffset+2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	var s splitter
	var h vnetHdr
	for b.Loop() {
		h.decode(frame)
		if err := s.setFrame(&h, frame[vnetHdrLen:]); err != nil {
			b.Fatal(err)
		}
		if _, err := s.emit(out, sizes, testOffset); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCoalesceTCP64K(b *testing.B) {
	pkts := segments(defaultTCP4(), 45, 1448, 0)
	bufs := make([][]byte, len(pkts))
	total := 0
	for i, p := range pkts {
		bufs[i] = append(make([]byte, testOffset, testOffset+len(p)), p...)
		total += len(p)
	}
	c := newCoalescer(true, true, BatchSize)
	b.ReportAllocs()
	b.SetBytes(int64(total))
	for b.Loop() {
		// The head's headers are rewritten in place; restore them.
		copy(bufs[0][testOffset:], pkts[0][:64])
		c.coalesce(bufs, testOffset)
		if len(c.groups) != 1 {
			b.Fatalf("%d groups", len(c.groups))
		}
	}
}
