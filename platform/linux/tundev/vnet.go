package tundev

import (
	"encoding/binary"
	"errors"
)

// The virtio-net header the kernel puts before every packet on a TUN opened
// with IFF_VNET_HDR (include/uapi/linux/virtio_net.h, struct
// virtio_net_hdr). Legacy virtio uses the host's byte order; the kernel's
// TUN does too unless TUNSETVNETBE/LE is used, which we never do.
const (
	vnetHdrLen = 10

	vnetFlagNeedsCsum = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vnetFlagDataValid = 2 // VIRTIO_NET_HDR_F_DATA_VALID

	gsoNone  = 0    // VIRTIO_NET_HDR_GSO_NONE
	gsoTCPv4 = 1    // VIRTIO_NET_HDR_GSO_TCPV4
	gsoUDP   = 3    // VIRTIO_NET_HDR_GSO_UDP (UFO, never negotiated)
	gsoTCPv6 = 4    // VIRTIO_NET_HDR_GSO_TCPV6
	gsoUDPL4 = 5    // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
	gsoECN   = 0x80 // VIRTIO_NET_HDR_GSO_ECN
)

// MinOffset is the smallest offset Read and Write accept: the headroom must
// hold the 10-byte virtio-net header.
const MinOffset = vnetHdrLen

// vnetHdr is a decoded struct virtio_net_hdr.
type vnetHdr struct {
	flags      uint8
	gsoType    uint8
	hdrLen     uint16 // length of the headers to copy to every segment (advisory)
	gsoSize    uint16 // payload bytes per segment
	csumStart  uint16 // where checksumming starts: the transport header
	csumOffset uint16 // where the checksum goes, relative to csumStart
}

var errShortVnetHdr = errors.New("short virtio-net header")

func (h *vnetHdr) decode(b []byte) error {
	if len(b) < vnetHdrLen {
		return errShortVnetHdr
	}
	h.flags = b[0]
	h.gsoType = b[1]
	h.hdrLen = binary.NativeEndian.Uint16(b[2:])
	h.gsoSize = binary.NativeEndian.Uint16(b[4:])
	h.csumStart = binary.NativeEndian.Uint16(b[6:])
	h.csumOffset = binary.NativeEndian.Uint16(b[8:])
	return nil
}

// encode writes h into b, which must hold vnetHdrLen bytes.
func (h *vnetHdr) encode(b []byte) {
	_ = b[vnetHdrLen-1]
	b[0] = h.flags
	b[1] = h.gsoType
	binary.NativeEndian.PutUint16(b[2:], h.hdrLen)
	binary.NativeEndian.PutUint16(b[4:], h.gsoSize)
	binary.NativeEndian.PutUint16(b[6:], h.csumStart)
	binary.NativeEndian.PutUint16(b[8:], h.csumOffset)
}
