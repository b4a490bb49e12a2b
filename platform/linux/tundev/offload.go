package tundev

import "strings"

// BatchSize is the number of buffers Read may fill from one 64 KiB GSO
// frame and the batch Write coalesces best: 65535 bytes at the smallest
// MSS a 576-byte MTU allows (536) is 123 segments.
const BatchSize = 128

// Offload says what the kernel agreed to when the device was opened.
type Offload struct {
	VnetHdr bool // IFF_VNET_HDR: a virtio-net header precedes every packet
	TSO     bool // TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6: TCP super frames both ways
	USO     bool // TUN_F_USO4|TUN_F_USO6: UDP super frames both ways (Linux 6.2+)
}

func (o Offload) String() string {
	var s []string
	if o.VnetHdr {
		s = append(s, "vnet-hdr")
	}
	if o.TSO {
		s = append(s, "tso")
	}
	if o.USO {
		s = append(s, "uso")
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}
