package bind

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// rawCmsg builds a control message by hand for layout l, independently of
// putSegmentSize: header (cmsg_len, level, type), data at the data offset,
// zero padding up to WSA_CMSG_SPACE.
func rawCmsg(l layout, level, typ uint32, data []byte) []byte {
	hdr := map[int]int{8: 16, 4: 12}[l.word]
	space := (hdr + len(data) + l.word - 1) &^ (l.word - 1)
	b := make([]byte, space)
	if l.word == 8 {
		binary.LittleEndian.PutUint64(b, uint64(hdr+len(data)))
	} else {
		binary.LittleEndian.PutUint32(b, uint32(hdr+len(data)))
	}
	binary.LittleEndian.PutUint32(b[l.word:], level)
	binary.LittleEndian.PutUint32(b[l.word+4:], typ)
	copy(b[hdr:], data)
	return b
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

var layouts = []struct {
	name string
	l    layout
}{{"64-bit", layout64}, {"32-bit", layout32}}

// TestLayout checks the WSA_CMSG_* values worked out from ws2def.h and
// winnt.h for 64-bit (amd64, arm64) and 32-bit (386) Windows.
func TestLayout(t *testing.T) {
	want := map[int]struct{ hdr, data, len4, space4, space20 int }{
		8: {hdr: 16, data: 16, len4: 20, space4: 24, space20: 40},
		4: {hdr: 12, data: 12, len4: 16, space4: 16, space20: 32},
	}
	for _, tt := range layouts {
		t.Run(tt.name, func(t *testing.T) {
			w := want[tt.l.word]
			for _, c := range []struct {
				what      string
				got, want int
			}{
				{"sizeof(WSACMSGHDR)", tt.l.hdrLen(), w.hdr},
				{"WSA_CMSG_DATA offset", tt.l.dataOff(), w.data},
				{"WSA_CMSG_LEN(4)", tt.l.msgLen(4), w.len4},
				{"WSA_CMSG_SPACE(4)", tt.l.space(4), w.space4},
				{"WSA_CMSG_SPACE(sizeof(IN6_PKTINFO))", tt.l.space(20), w.space20},
			} {
				if c.got != c.want {
					t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
				}
			}
			if tt.l.space(4) > sendControlSize {
				t.Errorf("sendControlSize %d < WSA_CMSG_SPACE(4) %d", sendControlSize, tt.l.space(4))
			}
			if need := tt.l.space(4) + 2*tt.l.space(20); need > recvControlSize {
				t.Errorf("recvControlSize %d < %d", recvControlSize, need)
			}
		})
	}
	if hostLayout.word != 8 && hostLayout.word != 4 {
		t.Errorf("host layout word %d", hostLayout.word)
	}
}

func TestPutSegmentSize(t *testing.T) {
	for _, tt := range layouts {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Repeat([]byte{0xee}, sendControlSize)
			n := putSegmentSize(b, tt.l, 1380)
			want := rawCmsg(tt.l, ipprotoUDP, udpSendMsgSize, le32(1380))
			if !bytes.Equal(b[:n], want) {
				t.Errorf("putSegmentSize =\n%x\nwant\n%x", b[:n], want)
			}
			if seg := parseSendMsgSize(b[:n], tt.l); seg != 1380 {
				t.Errorf("read back %d, want 1380", seg)
			}
		})
	}
}

// parseSendMsgSize reads a UDP_SEND_MSG_SIZE message back, for tests, by
// rewriting its type and using the receive parser.
func parseSendMsgSize(b []byte, l layout) int {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[l.word+4:], udpCoalescedInfo)
	if binary.LittleEndian.Uint32(b[l.word+4:]) != udpSendMsgSize {
		return -1
	}
	return parseCoalescedInfo(c, l)
}

func TestParseCoalescedInfo(t *testing.T) {
	for _, lt := range layouts {
		l := lt.l
		info := rawCmsg(l, ipprotoUDP, udpCoalescedInfo, le32(1420))
		pktinfo6 := rawCmsg(l, 41, 19, make([]byte, 20)) // IPPROTO_IPV6, IPV6_PKTINFO
		ecn := rawCmsg(l, 0, 50, le32(2))                // an unrelated IPPROTO_IP message
		odd := rawCmsg(l, 41, 99, make([]byte, 5))       // data length not a multiple of the alignment
		tests := []struct {
			name string
			in   []byte
			want int
		}{
			{name: "empty", in: nil, want: 0},
			{name: "alone", in: info, want: 1420},
			{name: "after others", in: bytes.Join([][]byte{pktinfo6, ecn, info}, nil), want: 1420},
			{name: "after odd-sized data", in: bytes.Join([][]byte{odd, info}, nil), want: 1420},
			{name: "first of two", in: bytes.Join([][]byte{info, rawCmsg(l, ipprotoUDP, udpCoalescedInfo, le32(7))}, nil), want: 1420},
			{name: "without padding at the end", in: info[:l.msgLen(4)], want: 1420},
			{name: "other level", in: rawCmsg(l, 41, udpCoalescedInfo, le32(1420)), want: 0},
			{name: "send type is not receive info", in: rawCmsg(l, ipprotoUDP, udpSendMsgSize, le32(1420)), want: 0},
			{name: "truncated header", in: info[:l.hdrLen()-1], want: 0},
			{name: "truncated data", in: info[:l.msgLen(4)-1], want: 0},
			{name: "cmsg_len short of its DWORD", in: patchLen(info, l, l.msgLen(2)), want: 0},
			{name: "cmsg_len past the buffer", in: patchLen(info, l, len(info)+1), want: 0},
			{name: "cmsg_len below the header", in: patchLen(info, l, l.hdrLen()-1), want: 0},
			{name: "cmsg_len zero", in: patchLen(info, l, 0), want: 0},
			{name: "huge cmsg_len", in: patchLen(info, l, -1), want: 0},
			{name: "zero size", in: rawCmsg(l, ipprotoUDP, udpCoalescedInfo, le32(0)), want: 0},
			{name: "size above 65535", in: rawCmsg(l, ipprotoUDP, udpCoalescedInfo, le32(70000)), want: 0},
			{name: "misaligned: one byte in", in: append([]byte{0}, info...), want: 0},
			{name: "second truncated", in: append(bytes.Clone(ecn), info[:l.msgLen(4)-1]...), want: 0},
			{name: "bad first hides a good second", in: append(patchLen(ecn, l, len(ecn)+len(info)+8), info...), want: 0},
		}
		for _, tt := range tests {
			t.Run(lt.name+"/"+tt.name, func(t *testing.T) {
				if got := parseCoalescedInfo(tt.in, l); got != tt.want {
					t.Errorf("parseCoalescedInfo(%x) = %d, want %d", tt.in, got, tt.want)
				}
			})
		}
	}
}

// TestLayoutsDiffer makes sure a 64-bit buffer is not read as a valid
// 32-bit one and vice versa, so the tests above do test the layout.
func TestLayoutsDiffer(t *testing.T) {
	b64 := rawCmsg(layout64, ipprotoUDP, udpCoalescedInfo, le32(1200))
	b32 := rawCmsg(layout32, ipprotoUDP, udpCoalescedInfo, le32(1200))
	if got := parseCoalescedInfo(b64, layout32); got == 1200 {
		t.Errorf("64-bit message parsed as 32-bit: %d", got)
	}
	if got := parseCoalescedInfo(b32, layout64); got == 1200 {
		t.Errorf("32-bit message parsed as 64-bit: %d", got)
	}
}

// patchLen returns a copy of b with cmsg_len set to n (-1: all ones).
func patchLen(b []byte, l layout, n int) []byte {
	c := bytes.Clone(b)
	if l.word == 8 {
		binary.LittleEndian.PutUint64(c, uint64(int64(n)))
	} else {
		binary.LittleEndian.PutUint32(c, uint32(int32(n)))
	}
	return c
}

// FuzzParseControl checks that the parser does not panic and reports a
// segment size only from a whole, aligned UDP_COALESCED_INFO message: one
// that starts on a header boundary reached from the start of the buffer,
// whose cmsg_len covers its DWORD and stays inside the buffer, and that
// yields nothing once cut by one byte.
func FuzzParseControl(f *testing.F) {
	for _, lt := range layouts {
		l := lt.l
		f.Add(rawCmsg(l, ipprotoUDP, udpCoalescedInfo, le32(1280)), lt.l.word == 8)
		f.Add(bytes.Join([][]byte{
			rawCmsg(l, 41, 19, make([]byte, 20)),
			rawCmsg(l, ipprotoUDP, udpCoalescedInfo, le32(1420)),
		}, nil), lt.l.word == 8)
	}
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, b []byte, is64 bool) {
		l := layout32
		if is64 {
			l = layout64
		}
		seg, at := findCoalescedInfo(b, l)
		if seg == 0 {
			return
		}
		if seg < 0 || seg > maxSegmentSize {
			t.Fatalf("segment size %d", seg)
		}
		if at%l.word != 0 {
			t.Fatalf("message at misaligned offset %d", at)
		}
		var clen uint64
		if l.word == 8 {
			clen = binary.LittleEndian.Uint64(b[at:])
		} else {
			clen = uint64(binary.LittleEndian.Uint32(b[at:]))
		}
		if clen < uint64(l.msgLen(4)) || uint64(at)+clen > uint64(len(b)) {
			t.Fatalf("message at %d has cmsg_len %d in a %d-byte buffer", at, clen, len(b))
		}
		if got := parseCoalescedInfo(b[:at+int(clen)-1], l); got != 0 {
			t.Fatalf("message cut by one byte still yields %d", got)
		}
		// Every header before it was walked over by its cmsg_len.
		for off := 0; off < at; {
			var n uint64
			if l.word == 8 {
				n = binary.LittleEndian.Uint64(b[off:])
			} else {
				n = uint64(binary.LittleEndian.Uint32(b[off:]))
			}
			if n < uint64(l.hdrLen()) || uint64(off)+n > uint64(len(b)) {
				t.Fatalf("walked past a bad header at %d (cmsg_len %d)", off, n)
			}
			off += l.hdrAlign(int(n))
			if off > at {
				t.Fatalf("header walk skips over %d", at)
			}
		}
	})
}
