package bind

// UDP GSO limits. The kernel refuses more than UDP_MAX_SEGMENTS segments in
// one send (64 up to Linux 6.x; newer kernels allow 128, 64 works on all)
// and the whole super-datagram must fit one IP packet length field. The
// grouping and splitting themselves live in platform/udpseg.
const (
	maxGSOSegments = 64
	maxGSOBytes4   = 0xffff - 20 - 8 // IPv4 total length minus IPv4 and UDP headers
	maxGSOBytes6   = 0xffff - 40 - 8 // stay below IPV6_MAXPLEN with room for the header
)
