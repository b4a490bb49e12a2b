package bind

// UDP GSO limits. The kernel refuses more than UDP_MAX_SEGMENTS segments in
// one send (64 up to Linux 6.x; newer kernels allow 128, 64 works on all)
// and the whole super-datagram must fit one IP packet length field.
const (
	maxGSOSegments = 64
	maxGSOBytes4   = 0xffff - 20 - 8 // IPv4 total length minus IPv4 and UDP headers
	maxGSOBytes6   = 0xffff - 40 - 8 // stay below IPV6_MAXPLEN with room for the header
)

// span is one sendmsg: the datagrams bufs[start:end] concatenated. If it
// holds more than one datagram it is sent with UDP_SEGMENT = seg, so every
// datagram but the last is exactly seg bytes long and the last is at most
// seg bytes (and not empty).
type span struct {
	start, end int
	seg        int
}

// planSends groups bufs[i][offset:] into sends. With gso false every
// datagram is its own send. With gso true consecutive datagrams of the same
// size are coalesced, up to maxSegs segments and maxBytes bytes per send; a
// shorter, non-empty datagram may end a group. Empty datagrams are always
// sent alone. The spans are appended to out.
func planSends(bufs [][]byte, offset int, gso bool, maxSegs, maxBytes int, out []span) []span {
	for i := 0; i < len(bufs); {
		seg := len(bufs[i]) - offset
		j := i + 1
		if gso && seg > 0 {
			total := seg
			for j < len(bufs) && j-i < maxSegs {
				n := len(bufs[j]) - offset
				if n <= 0 || n > seg || total+n > maxBytes {
					break
				}
				total += n
				j++
				if n < seg {
					break
				}
			}
		}
		out = append(out, span{start: i, end: j, seg: seg})
		i = j
	}
	return out
}

// splitSegments copies the segments of a coalesced datagram into packets.
// data holds segments of seg bytes each (the last may be shorter); seg <= 0
// means one plain datagram. off is the byte offset of the first segment not
// yet delivered. It fills packets[i][:sizes[i]] from i = 0, truncating a
// segment to the buffer it lands in, and returns the number of packets
// filled and the offset to resume from (len(data) when done).
func splitSegments(data []byte, seg, off int, packets [][]byte, sizes []int) (n, next int) {
	if seg <= 0 {
		seg = len(data)
	}
	for off < len(data) && n < len(packets) {
		end := min(off+seg, len(data))
		sizes[n] = copy(packets[n], data[off:end])
		n++
		off = end
	}
	if len(data) == 0 && off == 0 && len(packets) > 0 {
		// An empty datagram is still a datagram.
		sizes[0] = 0
		return 1, 1
	}
	return n, off
}
