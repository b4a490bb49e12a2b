package ifwg

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"syscall"
	"unsafe"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

// fakeKernel simulates wg(4)'s wg_ioctl_set / wg_ioctl_get (openbsd/src
// sys/net/if_wg.c rev 1.47) and the interface ioctls, reading and writing
// the buffers at the spec's offsets (typed in as numbers, independently
// of package wgio): same order of application, same silent skips, same
// errnos, not atomic.
type fakeKernel struct {
	peerSize     int // 144 (<= 7.3) or 208 (>= 7.4)
	ifaces       map[string]*fakeIface
	order        []string        // members of group "wg", in creation order
	foreign      map[string]bool // non-wg interfaces: SIOCGWG gives ENOTTY
	outsideGroup map[string]bool // wgN that exist but are not in group "wg"
	notRoot      bool
	oldSkipBug   bool     // a skipped peer does not advance the read position
	failPort     uint16   // rebinding to this port fails with EADDRINUSE
	aipLimit     int      // > 0: ENOBUFS beyond this many allowed IPs
	tables       []int32  // routing tables that exist besides 0
	steal        []string // created "by another process" before our next create
	failDescr    error
	sets         int // SIOCSWG calls
}

type fakeIface struct {
	descr   string
	priv    wgtypes.Key
	hasID   bool
	port    uint16
	rtable  int32
	running bool
	peers   []*fakePeer
}

type fakePeer struct {
	pub, psk wgtypes.Key
	pka      uint16
	ep       [28]byte
	aips     []netip.Prefix
	tx, rx   uint64
	descr    string
}

var ne = binary.NativeEndian

func newFakeKernel(l wgio.Layout) *fakeKernel {
	k := &fakeKernel{peerSize: 144, ifaces: map[string]*fakeIface{}, foreign: map[string]bool{}, outsideGroup: map[string]bool{}}
	if l == wgio.Layout74 {
		k.peerSize = 208
	}
	return k
}

// fakeSys is one control socket on the fake kernel.
type fakeSys struct {
	k      *fakeKernel
	closed bool
}

func (k *fakeKernel) open() (system, error) { return &fakeSys{k: k}, nil }

func cstr(b []byte) string { s, _, _ := bytes.Cut(b, []byte{0}); return string(s) }

func (s *fakeSys) wgIoctl(req uintptr, io *wgio.DataIO) error {
	k := s.k
	name := cstr(io.Name[:])
	ifc, ok := k.ifaces[name]
	if !ok {
		if k.foreign[name] {
			return syscall.ENOTTY
		}
		return syscall.ENXIO
	}
	switch req {
	case wgio.SIOCSWG:
		if k.notRoot {
			return syscall.EPERM
		}
		k.sets++
		// The kernel follows the counts, not wgd_size; reading past
		// wgd_size means the request is malformed: EFAULT.
		return k.set(ifc, unsafe.Slice(io.Interface, io.Size))
	case wgio.SIOCGWG:
		return k.get(ifc, io)
	}
	return syscall.ENOTTY
}

func (k *fakeKernel) set(ifc *fakeIface, b []byte) error {
	if len(b) < 80 {
		return syscall.EFAULT
	}
	flags := b[0]
	if flags&0x10 != 0 { // REPLACE_PEERS
		ifc.peers = nil
	}
	if flags&0x02 != 0 { // HAS_PRIVATE
		var priv wgtypes.Key
		copy(priv[:], b[40:72])
		if !ifc.hasID || priv.Clamped() != ifc.priv {
			if !priv.IsZero() {
				ifc.removePeer(priv.PublicKey())
			}
			// noise_local_set_private stores the clamped key; an
			// all-zero key leaves no identity.
			ifc.priv, ifc.hasID = priv.Clamped(), !priv.IsZero()
		}
	}
	port, rtable := ifc.port, ifc.rtable
	if flags&0x04 != 0 {
		port = ne.Uint16(b[2:])
	}
	if flags&0x08 != 0 {
		rtable = int32(ne.Uint32(b[4:]))
	}
	if port != ifc.port || rtable != ifc.rtable {
		if ifc.running {
			if port != 0 && port == k.failPort {
				return syscall.EADDRINUSE
			}
			if rtable != 0 && !slices.Contains(k.tables, rtable) {
				return syscall.EINVAL
			}
		}
		ifc.port, ifc.rtable = port, rtable
	}
	n := ne.Uint64(b[72:])
	off, ps := 80, k.peerSize
	for range n {
		if off+ps > len(b) {
			return syscall.EFAULT
		}
		pb := b[off : off+ps]
		pflags := ne.Uint32(pb[0:])
		naips := int(ne.Uint64(pb[ps-8:]))
		next := off + ps + 24*naips
		skipTo := next
		if k.oldSkipBug {
			skipTo = off // lose the place: re-read this peer
		}
		var pub wgtypes.Key
		copy(pub[:], pb[8:40])
		if pflags&0x01 == 0 {
			off = skipTo
			continue
		}
		if int32(ne.Uint32(pb[4:])) > 1 {
			return syscall.EPFNOSUPPORT
		}
		if ifc.hasID && pub == ifc.priv.PublicKey() {
			off = skipTo
			continue
		}
		peer := ifc.peer(pub)
		if peer == nil {
			if pflags&(0x20|0x40) != 0 { // REMOVE or UPDATE of an absent peer
				off = skipTo
				continue
			}
			peer = &fakePeer{pub: pub}
			ifc.peers = append(ifc.peers, peer)
		}
		if pflags&0x20 != 0 {
			ifc.removePeer(pub)
			off = next // rev 1.47 goes to next_peer
			continue
		}
		if pflags&0x08 != 0 {
			copy(peer.ep[:], pb[76:104])
		}
		if pflags&0x02 != 0 {
			copy(peer.psk[:], pb[40:72])
		}
		if pflags&0x04 != 0 {
			peer.pka = ne.Uint16(pb[72:])
		}
		if pflags&0x10 != 0 {
			peer.aips = nil
		}
		if ps == 208 && pflags&0x80 != 0 {
			peer.descr = cstr(pb[136:200])
		}
		aoff := off + ps
		for range naips {
			if aoff+24 > len(b) {
				return syscall.EFAULT
			}
			a := b[aoff : aoff+24]
			cidr := int(int32(ne.Uint32(a[4:])))
			var addr netip.Addr
			switch a[0] {
			case 2:
				addr = netip.AddrFrom4([4]byte(a[8:12]))
			case 24:
				addr = netip.AddrFrom16([16]byte(a[8:24]))
			default:
				return syscall.EAFNOSUPPORT
			}
			pfx := netip.PrefixFrom(addr, cidr).Masked()
			if k.aipLimit > 0 && k.totalAips() >= k.aipLimit && !k.hasAip(pfx) {
				return syscall.ENOBUFS
			}
			// An allowed IP moves from any other peer to this one.
			for _, o := range ifc.peers {
				o.aips = slices.DeleteFunc(o.aips, func(q netip.Prefix) bool { return q == pfx })
			}
			peer.aips = append(peer.aips, pfx)
			aoff += 24
		}
		off = aoff
	}
	return nil
}

func (k *fakeKernel) totalAips() int {
	n := 0
	for _, ifc := range k.ifaces {
		for _, p := range ifc.peers {
			n += len(p.aips)
		}
	}
	return n
}

func (k *fakeKernel) hasAip(pfx netip.Prefix) bool {
	for _, ifc := range k.ifaces {
		for _, p := range ifc.peers {
			if slices.Contains(p.aips, pfx) {
				return true
			}
		}
	}
	return false
}

func (ifc *fakeIface) peer(pub wgtypes.Key) *fakePeer {
	for _, p := range ifc.peers {
		if p.pub == pub {
			return p
		}
	}
	return nil
}

func (ifc *fakeIface) removePeer(pub wgtypes.Key) {
	ifc.peers = slices.DeleteFunc(ifc.peers, func(p *fakePeer) bool { return p.pub == pub })
}

// get answers SIOCGWG like wg_ioctl_get: size negotiation without
// copying, non-root callers get only port and rtable.
func (k *fakeKernel) get(ifc *fakeIface, io *wgio.DataIO) error {
	need := 80
	if !k.notRoot {
		for _, p := range ifc.peers {
			need += k.peerSize + 24*len(p.aips)
		}
	}
	if int(io.Size) < need {
		io.Size = uintptr(need)
		return nil
	}
	b := unsafe.Slice(io.Interface, io.Size)
	clear(b[:need])
	if ifc.port != 0 {
		b[0] |= 0x04
		ne.PutUint16(b[2:], ifc.port)
	}
	if ifc.rtable != 0 {
		b[0] |= 0x08
		ne.PutUint32(b[4:], uint32(ifc.rtable))
	}
	if !k.notRoot {
		if ifc.hasID {
			b[0] |= 0x01 | 0x02
			pub := ifc.priv.PublicKey()
			copy(b[8:40], pub[:])
			copy(b[40:72], ifc.priv[:])
		}
		ne.PutUint64(b[72:], uint64(len(ifc.peers)))
		off := 80
		for _, p := range ifc.peers {
			pb := b[off : off+k.peerSize]
			flags := uint32(0x01)
			ne.PutUint32(pb[4:], 1)
			copy(pb[8:40], p.pub[:])
			copy(pb[40:72], p.psk[:])
			if !p.psk.IsZero() {
				flags |= 0x02
			}
			if p.pka != 0 {
				flags |= 0x04
				ne.PutUint16(pb[72:], p.pka)
			}
			if p.ep[1] != 0 {
				flags |= 0x08
				copy(pb[76:104], p.ep[:])
			}
			ne.PutUint32(pb[0:], flags)
			ne.PutUint64(pb[104:], p.tx)
			ne.PutUint64(pb[112:], p.rx)
			if k.peerSize == 208 {
				copy(pb[136:199], p.descr)
			}
			ne.PutUint64(pb[k.peerSize-8:], uint64(len(p.aips)))
			off += k.peerSize
			for _, a := range p.aips {
				ab := b[off : off+24]
				if a.Addr().Is4() {
					ab[0] = 2
					ip := a.Addr().As4()
					copy(ab[8:], ip[:])
				} else {
					ab[0] = 24
					ip := a.Addr().As16()
					copy(ab[8:], ip[:])
				}
				ne.PutUint32(ab[4:], uint32(a.Bits()))
				off += 24
			}
		}
	}
	io.Size = uintptr(need)
	return nil
}

func (s *fakeSys) create(name string) error {
	k := s.k
	for _, n := range k.steal {
		k.addIface(n)
	}
	k.steal = nil
	if k.ifaces[name] != nil || k.foreign[name] {
		return syscall.EEXIST
	}
	k.addIface(name)
	return nil
}

func (k *fakeKernel) addIface(name string) {
	k.ifaces[name] = &fakeIface{}
	if !k.outsideGroup[name] {
		k.order = append(k.order, name)
	}
}

func (s *fakeSys) destroy(name string) error {
	k := s.k
	if k.ifaces[name] == nil {
		if k.foreign[name] {
			return syscall.EINVAL
		}
		return syscall.ENXIO
	}
	delete(k.ifaces, name)
	k.order = slices.DeleteFunc(k.order, func(n string) bool { return n == name })
	return nil
}

func (s *fakeSys) setDescription(name, descr string) error {
	if s.k.failDescr != nil {
		return s.k.failDescr
	}
	ifc := s.k.ifaces[name]
	if ifc == nil {
		return syscall.ENXIO
	}
	if len(descr) >= 64 {
		return syscall.ENAMETOOLONG
	}
	ifc.descr = descr
	return nil
}

func (s *fakeSys) description(name string) (string, error) {
	ifc := s.k.ifaces[name]
	if ifc == nil {
		return "", syscall.ENXIO
	}
	return ifc.descr, nil
}

func (s *fakeSys) groupMembers(group string) ([]string, error) {
	if group != "wg" {
		return nil, syscall.ENOENT
	}
	return slices.Clone(s.k.order), nil
}

func (s *fakeSys) close() error { s.closed = true; return nil }
