package tundev

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzSplit feeds arbitrary virtio-net headers and frames to the splitter:
// it must not panic or read outside the frame, and every segment it emits
// must be a well-formed packet no larger than the headers plus gso_size.
func FuzzSplit(f *testing.F) {
	f.Add(gsoFrame(defaultTCP4(), 5000, 1000))
	f.Add(gsoFrame(defaultTCP6(), 3000, 1400))
	f.Add(gsoFrame(defaultUDP4(), 2500, 1200))
	f.Add(gsoFrame(defaultUDP6(), 100, 1200))
	f.Add(make([]byte, 9))
	f.Add(append(make([]byte, vnetHdrLen), 0x45))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h vnetHdr
		if h.decode(data) != nil {
			return
		}
		// Copy so that an over-read runs into the slice end, not slack.
		pkt := bytes.Clone(data[vnetHdrLen:])
		if h.gsoType == gsoNone {
			if h.flags&vnetFlagNeedsCsum != 0 {
				completeChecksum(&h, pkt)
			}
			return
		}
		var s splitter
		if s.setFrame(&h, pkt) != nil {
			return
		}
		bufs, sizes := makeBufs(4, testOffset+2048)
		for range 100 {
			if !s.pending() {
				break
			}
			n, err := s.emit(bufs, sizes, testOffset)
			if err != nil {
				return // short buffer for an oversized gso_size
			}
			for i := range n {
				seg := bufs[i][testOffset : testOffset+sizes[i]]
				if sizes[i] > s.hlen+s.mss {
					t.Fatalf("segment of %d bytes, headers %d + mss %d", sizes[i], s.hlen, s.mss)
				}
				if seg[0]>>4 == 4 && int(binary.BigEndian.Uint16(seg[2:])) != len(seg) {
					t.Fatalf("IPv4 length %d, segment %d", binary.BigEndian.Uint16(seg[2:]), len(seg))
				}
				if !l4Valid(seg, s.toff, s.proto) {
					t.Fatalf("segment %d has a bad checksum", i)
				}
			}
		}
	})
}

// FuzzCoalesce cuts the input into packets, gives the ones that parse
// valid checksums, coalesces them and splits every frame again: the
// packets must come back exactly (merging may reorder only across flows,
// so the check is per flow order).
func FuzzCoalesce(f *testing.F) {
	seed := func(pkts [][]byte) []byte {
		var b []byte
		for _, p := range pkts {
			b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
			b = append(b, p...)
		}
		return b
	}
	f.Add(seed(segments(defaultTCP4(), 4, 100, 0)))
	f.Add(seed(segments(defaultTCP6(), 3, 100, 7)))
	f.Add(seed(segments(defaultUDP4(), 3, 50, 0)))
	f.Add(seed(interleave(segments(defaultUDP6(), 2, 30, 0), segments(defaultTCP4(), 2, 30, 0))))
	f.Fuzz(func(t *testing.T, data []byte) {
		var pkts [][]byte
		for len(data) >= 2 && len(pkts) < 32 {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			p := bytes.Clone(data[:n])
			data = data[n:]
			var info pktInfo
			if parsePacket(p, &info) {
				fixChecksums(p, info.toff, info.key.proto)
			}
			pkts = append(pkts, p)
		}
		orig := make([][]byte, len(pkts))
		for i := range pkts {
			orig[i] = bytes.Clone(pkts[i])
		}
		c := newCoalescer(true, true, 4)
		frames, counts := coalesceFrames(c, pkts)
		// Rebuild the packet order the groups imply and compare.
		var want [][]byte
		var fixed []bool
		for gi := range c.groups {
			for i := c.groups[gi].head; i >= 0; i = c.next[i] {
				want = append(want, orig[i])
				fixed = append(fixed, c.groups[gi].idFixed)
			}
		}
		var got [][]byte
		for fi, fr := range frames {
			if counts[fi] == 1 {
				got = append(got, fr[vnetHdrLen:])
				continue
			}
			segs, err := splitAll(t, fr, BatchSize)
			if err != nil {
				t.Fatalf("frame %d of %d packets does not split: %v", fi, counts[fi], err)
			}
			got = append(got, segs...)
		}
		if len(got) != len(want) {
			t.Fatalf("%d packets after split, want %d", len(got), len(want))
		}
		for i := range got {
			if fixed[i] {
				// Constant-ID DF packets come back with increasing IDs.
				if !ipv4HeaderValid(got[i]) {
					t.Fatalf("packet %d: bad IPv4 header checksum", i)
				}
				got[i], want[i] = bytes.Clone(got[i]), bytes.Clone(want[i])
				for _, q := range [][]byte{got[i], want[i]} {
					copy(q[4:6], []byte{0, 0})
					copy(q[10:12], []byte{0, 0})
				}
			}
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("packet %d changed:\n got %x\nwant %x", i, got[i], want[i])
			}
		}
	})
}
