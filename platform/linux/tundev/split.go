package tundev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	protoTCP = 6
	protoUDP = 17

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
	tcpECE = 0x40
	tcpCWR = 0x80

	tcpCsumOff = 16
	udpCsumOff = 6
)

var (
	errBadFrame = errors.New("malformed offload frame")
	errShortBuf = fmt.Errorf("buffer too small for packet: %w", io.ErrShortBuffer)
)

// splitter hands out the segments of one GSO frame, possibly over several
// Read calls when the caller passes fewer buffers than there are segments.
type splitter struct {
	pkt     []byte // the frame without its virtio-net header
	v6      bool
	proto   uint8
	toff    int // transport header offset
	hlen    int // all headers: IP (+ extensions) + TCP/UDP
	mss     int
	nseg    int
	next    int // next segment to hand out
	id      uint16
	seq     uint32
	flags   uint8 // TCP flags of the frame
	payload int
}

func (s *splitter) pending() bool { return s.next < s.nseg }

// setFrame validates a GSO frame and prepares to split it. It never reads
// outside pkt, whatever the header claims.
func (s *splitter) setFrame(h *vnetHdr, pkt []byte) error {
	*s = splitter{}
	if len(pkt) < 1 {
		return errBadFrame
	}
	gso := h.gsoType &^ gsoECN
	switch gso {
	case gsoTCPv4, gsoTCPv6:
		s.proto = protoTCP
	case gsoUDPL4:
		s.proto = protoUDP
	default:
		return fmt.Errorf("%w: gso type %d", errBadFrame, h.gsoType)
	}
	switch pkt[0] >> 4 {
	case 4:
		if gso == gsoTCPv6 || len(pkt) < 20 {
			return errBadFrame
		}
		ihl := int(pkt[0]&0xf) * 4
		if ihl < 20 || pkt[9] != s.proto || binary.BigEndian.Uint16(pkt[6:])&0x3fff != 0 {
			// Options may be present; fragments may not.
			return errBadFrame
		}
		s.toff = ihl
		s.id = binary.BigEndian.Uint16(pkt[4:])
	case 6:
		if gso == gsoTCPv4 || len(pkt) < 40 {
			return errBadFrame
		}
		s.v6 = true
		s.toff = 40
		if h.flags&vnetFlagNeedsCsum != 0 {
			// csum_start skips any extension headers.
			s.toff = int(h.csumStart)
			if s.toff < 40 {
				return errBadFrame
			}
		} else if pkt[6] != s.proto {
			return errBadFrame
		}
	default:
		return errBadFrame
	}
	if h.flags&vnetFlagNeedsCsum != 0 && int(h.csumStart) != s.toff {
		return errBadFrame
	}
	if s.proto == protoTCP {
		if len(pkt) < s.toff+20 {
			return errBadFrame
		}
		doff := int(pkt[s.toff+12]>>4) * 4
		if doff < 20 {
			return errBadFrame
		}
		s.hlen = s.toff + doff
		s.seq = binary.BigEndian.Uint32(pkt[s.toff+4:])
		s.flags = pkt[s.toff+13]
	} else {
		s.hlen = s.toff + 8
	}
	if len(pkt) < s.hlen || h.gsoSize == 0 {
		return errBadFrame
	}
	s.pkt = pkt
	s.mss = int(h.gsoSize)
	s.payload = len(pkt) - s.hlen
	s.nseg = (s.payload + s.mss - 1) / s.mss
	if s.nseg == 0 {
		s.nseg = 1
	}
	if s.hlen+min(s.mss, s.payload) > 0xffff+s.toffV6() {
		return errBadFrame
	}
	return nil
}

// toffV6 is the part of the headers not counted by the IP length field.
func (s *splitter) toffV6() int {
	if s.v6 {
		return 40
	}
	return 0
}

// emit writes the next segments to bufs[i][offset:], at most len(bufs), and
// returns how many. Segment 0 is written last, so the frame may alias
// bufs[0][offset:] (when every segment fits in one call).
func (s *splitter) emit(bufs [][]byte, sizes []int, offset int) (int, error) {
	n := min(s.nseg-s.next, len(bufs), len(sizes))
	if n == 0 {
		return 0, nil
	}
	for i := 1; i <= n; i++ {
		j := i % n // 1, 2, ..., n-1, then 0
		sz, err := s.segment(s.next+j, bufs[j], offset)
		if err != nil {
			s.next = s.nseg // drop the rest of the frame
			return 0, err
		}
		sizes[j] = sz
	}
	s.next += n
	return n, nil
}

// segment writes segment k into buf[offset:] and returns its length.
func (s *splitter) segment(k int, buf []byte, offset int) (int, error) {
	start := k * s.mss
	plen := min(s.mss, s.payload-start)
	if plen < 0 {
		plen = 0
	}
	size := s.hlen + plen
	if offset < 0 || len(buf)-offset < size {
		return 0, errShortBuf
	}
	out := buf[offset : offset+size]
	copy(out, s.pkt[:s.hlen])
	copy(out[s.hlen:], s.pkt[s.hlen+start:s.hlen+start+plen])

	var src, dst []byte
	if s.v6 {
		binary.BigEndian.PutUint16(out[4:], uint16(size-40))
		src, dst = out[8:24], out[24:40]
	} else {
		binary.BigEndian.PutUint16(out[2:], uint16(size))
		binary.BigEndian.PutUint16(out[4:], s.id+uint16(k))
		ipv4HeaderChecksum(out[:s.toff])
		src, dst = out[12:16], out[16:20]
	}
	t := out[s.toff:]
	var csumAt int
	if s.proto == protoTCP {
		binary.BigEndian.PutUint32(t[4:], s.seq+uint32(start))
		f := s.flags
		if k != 0 {
			f &^= tcpCWR
		}
		if k != s.nseg-1 {
			f &^= tcpFIN | tcpPSH
		}
		t[13] = f
		csumAt = tcpCsumOff
	} else {
		binary.BigEndian.PutUint16(t[4:], uint16(len(t)))
		csumAt = udpCsumOff
	}
	t[csumAt], t[csumAt+1] = 0, 0
	c := ^csumFold(csumAdd(pseudoSum(src, dst, s.proto, len(t)), t))
	if c == 0 && s.proto == protoUDP {
		c = 0xffff // RFC 768: zero means "no checksum"
	}
	binary.BigEndian.PutUint16(t[csumAt:], c)
	return size, nil
}

// completeChecksum finishes a CHECKSUM_PARTIAL packet: the field at
// csumStart+csumOffset holds the pseudo-header sum; the sum over
// pkt[csumStart:] is folded, inverted and stored there.
func completeChecksum(h *vnetHdr, pkt []byte) error {
	start, off := int(h.csumStart), int(h.csumOffset)
	if start+off+2 > len(pkt) {
		return errBadFrame
	}
	c := ^csumFold(csumAdd(0, pkt[start:]))
	if c == 0 {
		c = 0xffff // as skb_checksum_help does (CSUM_MANGLED_0)
	}
	binary.BigEndian.PutUint16(pkt[start+off:], c)
	return nil
}
