// Package tundev is the Linux TUN device of the userspace datapath: it
// implements core/tun.Device on /dev/net/tun with the kernel's
// virtio-net offloads, so one read can carry a 64 KiB TCP (or UDP) super
// frame and one write can hand the kernel many coalesced segments.
//
// What it does:
//
//   - Create and CreateFromFile negotiate IFF_VNET_HDR and TUNSETOFFLOAD
//     (checksum, TSO, and USO where the kernel has it) and fall back step
//     by step to a plain TUN when the kernel refuses.
//   - Read splits GSO frames (segmentation offload, the kernel to us) into
//     MSS-sized IP packets with complete checksums.
//   - Write coalesces consecutive TCP (and, with USO, UDP) packets of one
//     flow into GSO frames (receive offload, us to the kernel).
//   - Events watches the link over rtnetlink and closes the device when
//     the interface is deleted, which is how a daemon learns of
//     `ip link del`.
//
// What it does not: it configures no addresses or routes, and it does not
// use multi-queue TUN.
//
// The packet logic (virtio-net header, split, coalesce, checksums) lives in
// files without build tags and is tested on every OS; only the syscall glue
// is Linux-only. On other systems Create returns errors.ErrUnsupported.
//
// Buffers passed to Read and Write need at least MinOffset bytes of headroom
// before offset: the virtio-net header is placed there.
//
// Importers: platform/linux and the commands that start the userspace
// datapath. core/ must not import it.
package tundev
