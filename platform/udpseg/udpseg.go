package udpseg

// Span is one send: the datagrams bufs[Start:End] concatenated. If it holds
// more than one datagram it is sent with segment size Seg, so every
// datagram but the last is exactly Seg bytes long and the last is at most
// Seg bytes (and not empty).
type Span struct {
	Start, End int
	Seg        int
}

// PlanSends groups bufs[i][offset:] into sends. With seg false every
// datagram is its own send. With seg true consecutive datagrams of the same
// size are coalesced, up to maxSegs segments and maxBytes bytes per send; a
// shorter, non-empty datagram may end a group. Empty datagrams are always
// sent alone. The spans are appended to out.
func PlanSends(bufs [][]byte, offset int, seg bool, maxSegs, maxBytes int, out []Span) []Span {
	for i := 0; i < len(bufs); {
		size := len(bufs[i]) - offset
		j := i + 1
		if seg && size > 0 {
			total := size
			for j < len(bufs) && j-i < maxSegs {
				n := len(bufs[j]) - offset
				if n <= 0 || n > size || total+n > maxBytes {
					break
				}
				total += n
				j++
				if n < size {
					break
				}
			}
		}
		out = append(out, Span{Start: i, End: j, Seg: size})
		i = j
	}
	return out
}

// SplitSegments copies the segments of a coalesced datagram into packets.
// data holds segments of seg bytes each (the last may be shorter); seg <= 0
// means one plain datagram. off is the byte offset of the first segment not
// yet delivered. It fills packets[i][:sizes[i]] from i = 0, truncating a
// segment to the buffer it lands in, and returns the number of packets
// filled and the offset to resume from (len(data) when done).
func SplitSegments(data []byte, seg, off int, packets [][]byte, sizes []int) (n, next int) {
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
