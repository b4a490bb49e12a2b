package tundev

import (
	"bytes"
	"encoding/binary"
)

// Receive offload for writes: consecutive packets of one TCP (or UDP) flow
// are merged into a single GSO frame the kernel segments again if it has
// to forward them, or hands to the socket as one large packet. The rules
// follow the kernel's own GRO (net/ipv4/tcp_offload.c tcp_gro_receive,
// net/ipv4/udp_offload.c) and are conservative so that splitting the frame
// reproduces the original packets byte for byte:
//
//   - same addresses, ports, IP version; IPv4 without options or
//     fragmentation, IPv6 without extension headers;
//   - equal TOS/traffic class, flow label, TTL/hop limit, DF bit;
//     IPv4 IDs increasing by one, or all equal when DF is set (RFC 6864
//     atomic datagrams; the kernel's GRO accepts both). Splitting gives
//     such a frame increasing IDs, which for DF packets means nothing;
//   - TCP: contiguous sequence numbers, equal ACK, window, urgent pointer,
//     header length and option bytes; SYN, RST and URG never merge; CWR
//     only on the first packet, PSH or FIN only on the last;
//   - every packet carries gsoSize bytes of payload except the last, which
//     may be shorter; the frame's IP length must fit in 16 bits;
//   - every packet's checksum is valid (a bad one is written alone, so the
//     kernel drops it exactly as it would have).

// flowKey identifies a flow for coalescing.
type flowKey struct {
	src, dst     [16]byte
	sport, dport uint16
	proto        uint8
	v6           bool
}

// pktInfo is what coalescing needs to know about one packet.
type pktInfo struct {
	key     flowKey
	toff    int // transport header offset
	hlen    int // IP + transport header length
	payload int
	seq     uint32
	flags   uint8
}

// groGroup is one output frame: a head packet and the packets whose
// payloads follow it, linked through coalescer.next.
type groGroup struct {
	head, last int
	n          int
	toff, hlen int
	gsoSize    int
	payload    int // total payload bytes
	nextSeq    uint32
	nextID     uint16
	idFixed    bool // IPv4 DF packets that all carry the head's ID
	lastFlags  uint8
	proto      uint8
	v6         bool
	open       bool // more packets may be appended
	verified   bool // the head's checksum was checked
}

// coalescer groups the packets of one Write call. Its tables are reused
// across calls, so steady-state writes do not allocate.
type coalescer struct {
	tcp, udp bool // which protocols may be merged (TSO / USO negotiated)
	flows    map[flowKey]int
	groups   []groGroup
	next     []int // next[i]: the packet after bufs[i] in its group, or -1
}

func newCoalescer(tcp, udp bool, batch int) *coalescer {
	return &coalescer{
		tcp:    tcp,
		udp:    udp,
		flows:  make(map[flowKey]int, batch),
		groups: make([]groGroup, 0, batch),
		next:   make([]int, batch),
	}
}

// parsePacket fills p for a packet that may be merged and reports whether
// it may.
func parsePacket(pkt []byte, p *pktInfo) bool {
	if len(pkt) < 20 {
		return false
	}
	switch pkt[0] >> 4 {
	case 4:
		if pkt[0] != 0x45 || int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt) ||
			binary.BigEndian.Uint16(pkt[6:])&0x3fff != 0 {
			return false
		}
		p.key = flowKey{proto: pkt[9]}
		copy(p.key.src[:], pkt[12:16])
		copy(p.key.dst[:], pkt[16:20])
		p.toff = 20
	case 6:
		if len(pkt) < 40 || int(binary.BigEndian.Uint16(pkt[4:]))+40 != len(pkt) {
			return false
		}
		p.key = flowKey{proto: pkt[6], v6: true}
		copy(p.key.src[:], pkt[8:24])
		copy(p.key.dst[:], pkt[24:40])
		p.toff = 40
	default:
		return false
	}
	t := pkt[p.toff:]
	switch p.key.proto {
	case protoTCP:
		if len(t) < 20 {
			return false
		}
		doff := int(t[12]>>4) * 4
		if doff < 20 || doff > len(t) {
			return false
		}
		p.hlen = p.toff + doff
		p.seq = binary.BigEndian.Uint32(t[4:])
		p.flags = t[13]
	case protoUDP:
		if len(t) < 8 || int(binary.BigEndian.Uint16(t[4:])) != len(t) {
			return false
		}
		p.hlen = p.toff + 8
	default:
		return false
	}
	p.key.sport = binary.BigEndian.Uint16(t[0:])
	p.key.dport = binary.BigEndian.Uint16(t[2:])
	p.payload = len(pkt) - p.hlen
	return true
}

// checksumOK verifies the transport checksum of a parsed packet. A UDP
// packet without a checksum counts as bad: merging would invent one.
func checksumOK(pkt []byte, p *pktInfo) bool {
	var src, dst []byte
	if p.key.v6 {
		src, dst = pkt[8:24], pkt[24:40]
	} else {
		src, dst = pkt[12:16], pkt[16:20]
	}
	t := pkt[p.toff:]
	if p.key.proto == protoUDP && t[6] == 0 && t[7] == 0 {
		return false
	}
	return csumFold(csumAdd(pseudoSum(src, dst, p.key.proto, len(t)), t)) == 0xffff
}

// coalesce groups bufs[i][offset:] into c.groups and rewrites the head
// packets' headers of merged groups; it writes each group's virtio-net
// header into the headroom before the head packet (offset must be at least
// vnetHdrLen).
func (c *coalescer) coalesce(bufs [][]byte, offset int) {
	c.groups = c.groups[:0]
	clear(c.flows)
	if len(c.next) < len(bufs) {
		c.next = make([]int, len(bufs))
	}
	var p pktInfo
	for i, b := range bufs {
		c.next[i] = -1
		pkt := b[offset:]
		if !parsePacket(pkt, &p) || (p.key.proto == protoTCP && !c.tcp) || (p.key.proto == protoUDP && !c.udp) {
			c.groups = append(c.groups, groGroup{head: i, last: i, n: 1})
			continue
		}
		bad := false
		if gi, ok := c.flows[p.key]; ok {
			var merged bool
			merged, bad = c.tryAppend(&c.groups[gi], bufs, offset, i, pkt, &p)
			if merged {
				continue
			}
		}
		g := groGroup{
			head: i, last: i, n: 1,
			toff: p.toff, hlen: p.hlen,
			gsoSize: p.payload, payload: p.payload,
			nextSeq:   p.seq + uint32(p.payload),
			lastFlags: p.flags,
			proto:     p.key.proto,
			v6:        p.key.v6,
			open:      !bad && p.payload > 0,
		}
		if !p.key.v6 {
			g.nextID = binary.BigEndian.Uint16(pkt[4:]) + 1
		}
		if p.key.proto == protoTCP && (p.flags&(tcpSYN|tcpRST|tcpURG|tcpFIN|tcpPSH) != 0 || p.flags&tcpACK == 0) {
			g.open = false
		}
		c.flows[p.key] = len(c.groups)
		c.groups = append(c.groups, g)
	}
	for gi := range c.groups {
		c.finish(&c.groups[gi], bufs, offset)
	}
}

// tryAppend merges packet i into g if the rules allow. bad reports that
// packet i's checksum is wrong, so it must not head a group either.
func (c *coalescer) tryAppend(g *groGroup, bufs [][]byte, offset, i int, pkt []byte, p *pktInfo) (merged, bad bool) {
	if !g.open || p.payload == 0 || p.payload > g.gsoSize || p.hlen != g.hlen {
		return false, false
	}
	size := g.hlen + g.payload + p.payload
	if g.v6 {
		size -= 40
	}
	if size > 0xffff {
		return false, false
	}
	head := bufs[g.head][offset:]
	idFixed := g.idFixed
	if g.v6 {
		if !bytes.Equal(pkt[:4], head[:4]) || pkt[7] != head[7] {
			return false, false
		}
	} else {
		if pkt[1] != head[1] || pkt[6] != head[6] || pkt[8] != head[8] {
			return false, false
		}
		switch id, headID := binary.BigEndian.Uint16(pkt[4:]), binary.BigEndian.Uint16(head[4:]); {
		case id == g.nextID && !g.idFixed:
		case id == headID && head[6]&0x40 != 0 && (g.n == 1 || g.idFixed):
			idFixed = true // decided by the first merge
		default:
			return false, false
		}
	}
	if g.proto == protoTCP {
		t, ht := pkt[g.toff:g.hlen], head[g.toff:g.hlen]
		hf := ht[13] &^ tcpCWR
		if p.seq != g.nextSeq || p.flags&tcpCWR != 0 || p.flags&^(tcpPSH|tcpFIN) != hf ||
			!bytes.Equal(t[8:12], ht[8:12]) || // ack
			!bytes.Equal(t[14:16], ht[14:16]) || // window
			!bytes.Equal(t[18:], ht[18:]) { // urgent pointer, options
			return false, false
		}
	}
	if !g.verified {
		var hp pktInfo
		parsePacket(head, &hp)
		if !checksumOK(head, &hp) {
			g.open = false
			return false, false
		}
		g.verified = true
	}
	if !checksumOK(pkt, p) {
		return false, true
	}
	c.next[g.last] = i
	g.idFixed = idFixed
	g.last = i
	g.n++
	g.payload += p.payload
	g.nextSeq += uint32(p.payload)
	g.nextID++
	g.lastFlags = p.flags
	if p.payload < g.gsoSize || p.flags&(tcpPSH|tcpFIN) != 0 {
		g.open = false
	}
	return true, false
}

// finish writes g's virtio-net header and, for a merged group, turns the
// head's headers into those of the whole frame with a partial checksum
// (pseudo-header sum only) for the kernel to complete per segment.
func (c *coalescer) finish(g *groGroup, bufs [][]byte, offset int) {
	vh := bufs[g.head][offset-vnetHdrLen : offset]
	if g.n < 2 {
		clear(vh)
		return
	}
	head := bufs[g.head][offset:]
	size := g.hlen + g.payload
	var src, dst []byte
	h := vnetHdr{
		flags:     vnetFlagNeedsCsum,
		hdrLen:    uint16(g.hlen),
		gsoSize:   uint16(g.gsoSize),
		csumStart: uint16(g.toff),
	}
	if g.v6 {
		binary.BigEndian.PutUint16(head[4:], uint16(size-40))
		src, dst = head[8:24], head[24:40]
		h.gsoType = gsoTCPv6
	} else {
		binary.BigEndian.PutUint16(head[2:], uint16(size))
		ipv4HeaderChecksum(head[:20])
		src, dst = head[12:16], head[16:20]
		h.gsoType = gsoTCPv4
	}
	t := head[g.toff:]
	if g.proto == protoTCP {
		t[13] |= g.lastFlags & (tcpPSH | tcpFIN)
		h.csumOffset = tcpCsumOff
	} else {
		binary.BigEndian.PutUint16(t[4:], uint16(size-g.toff))
		h.gsoType = gsoUDPL4
		h.csumOffset = udpCsumOff
	}
	binary.BigEndian.PutUint16(t[h.csumOffset:], csumFold(pseudoSum(src, dst, g.proto, size-g.toff)))
	h.encode(vh)
}

// appendFrame appends the frame of g (virtio-net header, head packet, the
// other packets' payloads) to dst. The device writes the same bytes with
// writev instead of copying; tests use this.
func (c *coalescer) appendFrame(dst []byte, g *groGroup, bufs [][]byte, offset int) []byte {
	dst = append(dst, bufs[g.head][offset-vnetHdrLen:]...)
	for i := c.next[g.head]; i >= 0; i = c.next[i] {
		dst = append(dst, bufs[i][offset+g.hlen:]...)
	}
	return dst
}
