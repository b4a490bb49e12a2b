package ifwg

import (
	"github.com/wgshim/wgshim/platform/bsd"

	"bytes"
	"encoding/binary"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

// fakeKernel simulates if_wg's wgc_set / wgc_get / wg_peer_add (freebsd-src
// sys/dev/wg/if_wg.c) closely enough to test Link: same key order of
// application, same silent skips, same EINVAL checks, not atomic.
type fakeKernel struct {
	name      string
	port      uint64
	cookie    uint64
	priv      []byte
	peers     []*fakePeer
	failPort  uint64 // listen-port that fails with EADDRINUSE, 0 = none
	getGrowth int    // peers to add between the next size query and its copy
	sets      [][]byte
	gets      int
	destroyed bool
	closed    bool
}

type fakePeer struct {
	pub, psk []byte
	endpoint []byte
	ka       uint64
	aips     []netip.Prefix
	rx, tx   uint64
	hsSec    uint64
}

func (k *fakeKernel) ioctl(req uintptr, io *DataIO) error {
	if string(bytes.TrimRight(io.Name[:], "\x00")) != k.name {
		return syscall.ENXIO
	}
	switch req {
	case SIOCSWG:
		if io.Size == 0 || io.Data == nil {
			return syscall.EFAULT
		}
		b := append([]byte(nil), unsafe.Slice(io.Data, io.Size)...)
		k.sets = append(k.sets, b)
		return k.set(b)
	case SIOCGWG:
		k.gets++
		packed, err := k.get().Encode(nv.HostOrder)
		if err != nil {
			panic(err)
		}
		if io.Size == 0 {
			io.Size = uintptr(len(packed))
			for range k.getGrowth {
				k.peers = append(k.peers, &fakePeer{pub: bytes.Repeat([]byte{byte(len(k.peers) + 100)}, 32), psk: make([]byte, 32)})
			}
			k.getGrowth = 0 // once
			return nil
		}
		if io.Size < uintptr(len(packed)) {
			return syscall.ENOSPC
		}
		copy(unsafe.Slice(io.Data, io.Size), packed)
		io.Size = uintptr(len(packed))
		return nil
	}
	return syscall.ENOTTY
}

func (k *fakeKernel) destroy(name string) error {
	if name != k.name {
		return syscall.ENXIO
	}
	k.destroyed = true
	return nil
}

func (k *fakeKernel) close() error { k.closed = true; return nil }

func (k *fakeKernel) set(b []byte) error {
	l, err := nv.Decode(b)
	if err != nil {
		return syscall.EBADMSG
	}
	if v, err := l.GetBool(keyReplacePeers); err == nil && v {
		k.peers = nil
	}
	if v, err := l.GetNumber(keyListenPort); err == nil {
		if v > 65535 {
			return syscall.EINVAL
		}
		if v == k.failPort && v != 0 {
			return syscall.EADDRINUSE
		}
		k.port = v
	}
	if v, err := l.GetBinary(keyPrivateKey); err == nil {
		if len(v) != 32 {
			return syscall.EINVAL
		}
		k.priv = v
		pub := k.publicKey()
		for i, p := range k.peers {
			if bytes.Equal(p.pub, pub) {
				k.peers = append(k.peers[:i], k.peers[i+1:]...)
				break
			}
		}
	}
	if v, err := l.GetNumber(keyUserCookie); err == nil {
		if v > 1<<32-1 {
			return syscall.EINVAL
		}
		k.cookie = v
	}
	if peers, err := l.GetListArray(keyPeers); err == nil {
		for _, p := range peers {
			if err := k.peerAdd(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k *fakeKernel) publicKey() []byte {
	if k.priv == nil {
		return nil
	}
	pub := wgtypes.Key(k.priv).PublicKey()
	return pub[:]
}

func (k *fakeKernel) peerAdd(l *nv.List) error {
	pub, err := l.GetBinary(keyPublicKey)
	if err != nil || len(pub) != 32 {
		return syscall.EINVAL
	}
	if bytes.Equal(pub, k.publicKey()) {
		return nil
	}
	var peer *fakePeer
	idx := -1
	for i, p := range k.peers {
		if bytes.Equal(p.pub, pub) {
			peer, idx = p, i
		}
	}
	if v, err := l.GetBool(keyRemove); err == nil && v {
		if idx >= 0 {
			k.peers = append(k.peers[:idx], k.peers[idx+1:]...)
		}
		return nil
	}
	if v, err := l.GetBool(keyReplaceAIPs); err == nil && v && peer != nil {
		peer.aips = nil
	}
	isNew := peer == nil
	if isNew {
		peer = &fakePeer{pub: pub, psk: make([]byte, 32)}
	}
	if v, err := l.GetBinary(keyEndpoint); err == nil {
		if len(v) > 28 {
			return syscall.EINVAL
		}
		peer.endpoint = v
	}
	if v, err := l.GetBinary(keyPresharedKey); err == nil {
		if len(v) != 32 {
			return syscall.EINVAL
		}
		peer.psk = v
	}
	if v, err := l.GetNumber(keyKeepalive); err == nil {
		if v > 65535 {
			return syscall.EINVAL
		}
		peer.ka = v
	}
	if aips, err := l.GetListArray(keyAllowedIPs); err == nil {
		for _, a := range aips {
			cidr, err := a.GetNumber(keyCIDR)
			if err != nil {
				continue
			}
			var addr netip.Addr
			if b, err := a.GetBinary(keyIPv4); err == nil {
				if len(b) != 4 || cidr > 32 {
					return syscall.EINVAL
				}
				addr = netip.AddrFrom4([4]byte(b))
			} else if b, err := a.GetBinary(keyIPv6); err == nil {
				if len(b) != 16 || cidr > 128 {
					return syscall.EINVAL
				}
				addr = netip.AddrFrom16([16]byte(b))
			} else {
				continue
			}
			pfx := netip.PrefixFrom(addr, int(cidr)).Masked()
			// An allowed IP moves from any other peer to this one.
			for _, o := range k.peers {
				o.aips = removePrefix(o.aips, pfx)
			}
			peer.aips = append(removePrefix(peer.aips, pfx), pfx)
		}
	}
	if isNew {
		k.peers = append(k.peers, peer)
	}
	return nil
}

func removePrefix(s []netip.Prefix, p netip.Prefix) []netip.Prefix {
	out := s[:0]
	for _, q := range s {
		if q != p {
			out = append(out, q)
		}
	}
	return out
}

// get builds the reply in wgc_get's key order.
func (k *fakeKernel) get() *nv.List {
	l := nv.New()
	if k.port != 0 {
		l.AddNumber(keyListenPort, k.port)
	}
	if k.cookie != 0 {
		l.AddNumber(keyUserCookie, k.cookie)
	}
	if k.priv != nil {
		l.AddBinary(keyPublicKey, k.publicKey())
		l.AddBinary(keyPrivateKey, k.priv)
	}
	var peers []*nv.List
	for _, p := range k.peers {
		pl := nv.New().AddBinary(keyPublicKey, p.pub).AddBinary(keyPresharedKey, p.psk)
		if len(p.endpoint) > 1 && (p.endpoint[1] == bsd.AFInet || p.endpoint[1] == bsd.AFInet6FreeBSD) {
			pl.AddBinary(keyEndpoint, p.endpoint)
		}
		ts := make([]byte, 16)
		binary.NativeEndian.PutUint64(ts, p.hsSec)
		pl.AddBinary(keyLastHandshake, ts).
			AddNumber(keyKeepalive, p.ka).
			AddNumber(keyRxBytes, p.rx).
			AddNumber(keyTxBytes, p.tx)
		var aips []*nv.List
		for _, a := range p.aips {
			al, err := allowedIPRequest(a)
			if err != nil {
				panic(err)
			}
			aips = append(aips, al)
		}
		if len(aips) > 0 {
			pl.AddListArray(keyAllowedIPs, aips)
		}
		peers = append(peers, pl)
	}
	if len(peers) > 0 {
		l.AddListArray(keyPeers, peers)
	}
	return l
}
