package bind

import (
	"encoding/binary"
	"unsafe"
)

// Winsock constants. They are spelled out rather than taken from
// golang.org/x/sys/windows so that the encoder and parser below build, and
// are tested, on every GOOS. Sources: ws2def.h (IPPROTO_UDP) and
// ws2ipdef.h (the UDP options) of the Windows SDK; the "IPPROTO_UDP socket
// options" page of the Winsock documentation.
const (
	ipprotoUDP = 17 // IPPROTO_UDP

	// udpSendMsgSize is UDP_SEND_MSG_SIZE: as a socket option or as a
	// control message on WSASendMsg, a DWORD segment size; the stack cuts
	// the buffer into datagrams of that size, the last one may be shorter.
	udpSendMsgSize = 2
	// udpRecvMaxCoalescedSize is UDP_RECV_MAX_COALESCED_SIZE: a DWORD
	// socket option, the largest coalesced buffer the stack may hand to one
	// receive; 0 (the default) means no coalescing.
	udpRecvMaxCoalescedSize = 3
	// udpCoalescedInfo is UDP_COALESCED_INFO, the control message type
	// (level IPPROTO_UDP) carrying the DWORD size of every datagram of a
	// coalesced receive but the last. ws2ipdef.h defines it as
	// UDP_RECV_MAX_COALESCED_SIZE, so it is 3 as well.
	udpCoalescedInfo = 3
)

// layout is the geometry of a Winsock control message (WSACMSGHDR and the
// WSA_CMSG_* macros of ws2def.h) for one pointer size:
//
//	typedef struct _WSACMSGHDR {
//	    SIZE_T cmsg_len;   // header + data, without trailing padding
//	    INT    cmsg_level;
//	    INT    cmsg_type;
//	    // followed by the data
//	} WSACMSGHDR;
//
//	WSA_CMSGHDR_ALIGN(n)  = n rounded up to TYPE_ALIGNMENT(WSACMSGHDR)
//	WSA_CMSGDATA_ALIGN(n) = n rounded up to MAX_NATURAL_ALIGNMENT
//	WSA_CMSG_DATA(c)      = (PUCHAR)c + WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR))
//	WSA_CMSG_LEN(n)       = WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)) + n
//	WSA_CMSG_SPACE(n)     = WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR) + WSA_CMSGHDR_ALIGN(n))
//	WSA_CMSG_NXTHDR       = c + WSA_CMSGHDR_ALIGN(c->cmsg_len), NULL if that
//	                        plus sizeof(WSACMSGHDR) passes the buffer's end
//
// SIZE_T is pointer-sized, so TYPE_ALIGNMENT(WSACMSGHDR) is the pointer
// size, and winnt.h sets MAX_NATURAL_ALIGNMENT to sizeof(ULONGLONG) on
// _WIN64 and sizeof(ULONG) otherwise. Both alignments therefore equal the
// pointer size on every Windows target Go has (amd64, arm64: 8; 386: 4):
//
//	                 64-bit   32-bit
//	sizeof(header)     16       12
//	data offset        16       12
//	WSA_CMSG_LEN(4)    20       16
//	WSA_CMSG_SPACE(4)  24       16
//
// Every Windows target is little-endian.
type layout struct {
	word int // sizeof(SIZE_T)
}

var (
	layout64 = layout{word: 8}
	layout32 = layout{word: 4}
	// hostLayout is the layout for the running program's pointer size:
	// the one a C program built for the same target gets from ws2def.h.
	hostLayout = layout{word: int(unsafe.Sizeof(uintptr(0)))}
)

func (l layout) hdrAlign(n int) int  { return (n + l.word - 1) &^ (l.word - 1) } // WSA_CMSGHDR_ALIGN
func (l layout) dataAlign(n int) int { return (n + l.word - 1) &^ (l.word - 1) } // WSA_CMSGDATA_ALIGN

// hdrLen is sizeof(WSACMSGHDR).
func (l layout) hdrLen() int { return l.hdrAlign(l.word + 8) }

// dataOff is the offset of WSA_CMSG_DATA from the header.
func (l layout) dataOff() int { return l.dataAlign(l.hdrLen()) }

// msgLen is WSA_CMSG_LEN(n), the cmsg_len of a message with n data bytes.
func (l layout) msgLen(n int) int { return l.dataOff() + n }

// space is WSA_CMSG_SPACE(n), the bytes the message occupies in a buffer.
func (l layout) space(n int) int { return l.dataAlign(l.hdrLen() + l.hdrAlign(n)) }

// Control buffer sizes. The receive buffer has room for UDP_COALESCED_INFO
// and for messages we did not ask for, so that one of those cannot push
// ours out (MSG_CTRUNC).
const (
	sendControlSize = 32  // >= space(4) on both layouts
	recvControlSize = 128 // >= space(4) + 2*space(sizeof(IN6_PKTINFO)) on both layouts
)

// maxSegmentSize bounds a plausible segment size: a UDP payload cannot
// exceed 65535 bytes.
const maxSegmentSize = 0xffff

// putSegmentSize writes a UDP_SEND_MSG_SIZE control message asking the
// stack to cut the buffer into datagrams of seg bytes, zeroing the padding,
// and returns its length. b must hold l.space(4) bytes and, as Winsock casts
// it to WSACMSGHDR, be aligned to the pointer size.
func putSegmentSize(b []byte, l layout, seg uint32) int {
	n := l.space(4)
	clear(b[:n])
	putWord(b, l, uint64(l.msgLen(4)))
	binary.LittleEndian.PutUint32(b[l.word:], ipprotoUDP)
	binary.LittleEndian.PutUint32(b[l.word+4:], udpSendMsgSize)
	binary.LittleEndian.PutUint32(b[l.dataOff():], seg)
	return n
}

func putWord(b []byte, l layout, v uint64) {
	if l.word == 8 {
		binary.LittleEndian.PutUint64(b, v)
	} else {
		binary.LittleEndian.PutUint32(b, uint32(v))
	}
}

// parseCoalescedInfo returns the segment size of a coalesced receive from
// its control messages, or 0 if they carry no valid UDP_COALESCED_INFO.
func parseCoalescedInfo(b []byte, l layout) int {
	seg, _ := findCoalescedInfo(b, l)
	return seg
}

// findCoalescedInfo walks the control messages in b as WSA_CMSG_FIRSTHDR
// and WSA_CMSG_NXTHDR do and returns the first UDP_COALESCED_INFO value and
// the offset of its header. It stops, returning 0, at a header that does
// not fit the buffer, a cmsg_len shorter than the header or running past
// the buffer, a UDP_COALESCED_INFO too short for its DWORD, or a value of 0
// or above maxSegmentSize: a truncated or garbled buffer yields no size
// rather than a wrong one.
func findCoalescedInfo(b []byte, l layout) (seg, at int) {
	hdr := l.hdrLen()
	for off := 0; len(b)-off >= hdr; {
		rest := b[off:]
		var clen uint64
		if l.word == 8 {
			clen = binary.LittleEndian.Uint64(rest)
		} else {
			clen = uint64(binary.LittleEndian.Uint32(rest))
		}
		if clen < uint64(hdr) || clen > uint64(len(rest)) {
			return 0, 0
		}
		level := binary.LittleEndian.Uint32(rest[l.word:])
		typ := binary.LittleEndian.Uint32(rest[l.word+4:])
		if level == ipprotoUDP && typ == udpCoalescedInfo {
			if clen < uint64(l.msgLen(4)) {
				return 0, 0
			}
			v := binary.LittleEndian.Uint32(rest[l.dataOff():])
			if v == 0 || v > maxSegmentSize {
				return 0, 0
			}
			return int(v), off
		}
		off += l.hdrAlign(int(clen))
	}
	return 0, 0
}
