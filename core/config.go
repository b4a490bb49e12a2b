package core

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Configuration: one model (wgtypes) applied atomically, whatever the
// front end (UAPI, wg-quick, tests).

// ErrInvalid marks a configuration that was rejected before anything was
// applied; errors.Is(err, syscall.EINVAL) also holds.
var ErrInvalid = syscall.EINVAL

// Set applies cfg atomically: if it returns an error, the device is as it
// was. Binding a new listen port or setting the mark are the only steps
// that can fail after validation, so they run first and are undone on
// failure.
func (d *Device) Set(cfg wgtypes.Config) error {
	d.state.Lock()
	defer d.state.Unlock()
	if d.closed.Load() {
		return errors.New("device closed")
	}
	if err := d.validateLocked(cfg); err != nil {
		return err
	}
	if err := d.applyBindLocked(cfg); err != nil {
		return err
	}
	if cfg.PrivateKey != nil {
		d.setPrivateKeyLocked(*cfg.PrivateKey)
	}
	if cfg.ReplacePeers {
		for _, p := range d.peerList() {
			d.removePeer(p)
		}
	}
	ownKey := d.publicKey()
	for _, pc := range cfg.Peers {
		if pc.PublicKey == ownKey && !ownKey.IsZero() {
			continue // a peer with our own key is ignored, as upstream does
		}
		d.applyPeerLocked(pc)
	}
	return nil
}

func (d *Device) publicKey() key {
	d.identity.mu.RLock()
	defer d.identity.mu.RUnlock()
	if !d.identity.ok {
		return key{}
	}
	return d.identity.publicKey
}

func (d *Device) validateLocked(cfg wgtypes.Config) error {
	if cfg.ListenPort != nil && (*cfg.ListenPort < 0 || *cfg.ListenPort > 65535) {
		return fmt.Errorf("listen port %d out of range: %w", *cfg.ListenPort, ErrInvalid)
	}
	d.peers.mu.RLock()
	count := len(d.peers.byKey)
	d.peers.mu.RUnlock()
	if cfg.ReplacePeers {
		count = 0
	}
	seen := make(map[key]bool, len(cfg.Peers))
	for i, pc := range cfg.Peers {
		where := fmt.Sprintf("peer %d (%s)", i+1, pc.PublicKey)
		for _, list := range [][]netip.Prefix{pc.AllowedIPs, pc.RemoveAllowedIPs} {
			for _, pfx := range list {
				if !pfx.IsValid() || pfx.Addr().Zone() != "" {
					return fmt.Errorf("%s: allowed IP %v: %w", where, pfx, ErrInvalid)
				}
			}
		}
		if pc.Endpoint != nil && !pc.Endpoint.IsValid() {
			return fmt.Errorf("%s: endpoint %v: %w", where, *pc.Endpoint, ErrInvalid)
		}
		if !pc.Remove && !pc.UpdateOnly && !seen[pc.PublicKey] && d.lookupPeer(pc.PublicKey) == nil {
			count++
		}
		seen[pc.PublicKey] = true
	}
	if count > maxPeers {
		return fmt.Errorf("too many peers (%d, the limit is %d): %w", count, maxPeers, ErrInvalid)
	}
	return nil
}

// applyBindLocked rebinds for a new port and applies a new mark, restoring
// the old binding if either fails.
func (d *Device) applyBindLocked(cfg wgtypes.Config) error {
	port, mark := d.state.listenPort, d.state.fwmark
	if cfg.ListenPort != nil {
		port = uint16(*cfg.ListenPort)
	}
	if cfg.FirewallMark != nil {
		mark = *cfg.FirewallMark
	}
	portChanged := port != d.state.listenPort
	markChanged := mark != d.state.fwmark
	if d.state.up {
		switch {
		case portChanged:
			d.closeBindLocked()
			if err := d.openBindLocked(port, mark); err != nil {
				if rerr := d.openBindLocked(d.state.listenPort, d.state.fwmark); rerr != nil {
					d.log.Errorf("restore listen port %d: %v", d.state.listenPort, rerr)
				}
				return fmt.Errorf("listen port %d: %w", port, withErrno(err, syscall.EADDRINUSE))
			}
		case markChanged:
			if err := d.bind.SetMark(mark); err != nil {
				return fmt.Errorf("fwmark %d: %w", mark, withErrno(err, syscall.EADDRINUSE))
			}
		}
	}
	d.state.listenPort, d.state.fwmark = port, mark
	if portChanged || markChanged {
		for _, p := range d.peerList() {
			p.clearEndpointSrc()
		}
	}
	return nil
}

// withErrno makes err match errno unless it already carries one.
func withErrno(err error, errno syscall.Errno) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, errno)
}

// setPrivateKeyLocked changes the static key (protocol.md §8.4).
func (d *Device) setPrivateKeyLocked(k key) {
	if !k.IsZero() {
		k = k.Clamped()
	}
	d.identity.mu.RLock()
	same := d.identity.privateKey == k
	hadKey := d.identity.ok
	d.identity.mu.RUnlock()
	if same {
		return
	}
	var pub key
	if !k.IsZero() {
		pub = k.PublicKey()
		if p := d.lookupPeer(pub); p != nil {
			d.removePeer(p) // a peer cannot be ourselves
		}
	}
	peers := d.peerList()
	d.identity.mu.Lock()
	d.identity.privateKey = k
	d.identity.publicKey = pub
	d.identity.ok = !k.IsZero()
	d.cookieChecker.init(pub)
	for _, p := range peers {
		p.precomputeStaticStatic()
	}
	d.identity.mu.Unlock()
	for _, p := range peers {
		p.handshake.mu.Lock()
		p.handshake.clear(&d.indices)
		p.handshake.mu.Unlock()
		p.lastSentHandshake.Store(0)
		p.keypairs.mu.RLock()
		for _, kp := range []*keypair{p.keypairs.current, p.keypairs.next} {
			if kp != nil {
				kp.sendCounter.Store(RejectAfterMessages)
			}
		}
		p.keypairs.mu.RUnlock()
	}
	if !hadKey && d.state.up {
		for _, p := range peers {
			p.sendStaged()
		}
	}
}

func (d *Device) applyPeerLocked(pc wgtypes.PeerConfig) {
	p := d.lookupPeer(pc.PublicKey)
	if pc.Remove {
		if p != nil {
			d.removePeer(p)
		}
		return
	}
	created := false
	if p == nil {
		if pc.UpdateOnly {
			return
		}
		p = d.newPeer(pc.PublicKey)
		d.peers.mu.Lock()
		d.peerSeq++
		p.seq = d.peerSeq
		d.peers.byKey[pc.PublicKey] = p
		d.peers.mu.Unlock()
		created = true
	}
	if pc.PresharedKey != nil {
		p.handshake.mu.Lock()
		p.handshake.presharedKey = *pc.PresharedKey
		p.handshake.mu.Unlock()
	}
	if pc.Endpoint != nil {
		p.setEndpoint(d.bind.Endpoint(*pc.Endpoint))
	}
	keepaliveOn := false
	if pc.PersistentKeepalive != nil {
		old := p.persistentKeepalive.Swap(uint32(*pc.PersistentKeepalive))
		keepaliveOn = old == 0 && *pc.PersistentKeepalive > 0
	}
	if pc.ReplaceAllowedIPs || len(pc.RemoveAllowedIPs) > 0 || len(pc.AllowedIPs) > 0 {
		d.allowedIPs.mu.Lock()
		if pc.ReplaceAllowedIPs {
			d.allowedIPs.table.RemoveByValue(p)
		}
		for _, pfx := range pc.RemoveAllowedIPs {
			d.allowedIPs.table.Remove(pfx, p)
		}
		for _, pfx := range pc.AllowedIPs {
			d.allowedIPs.table.Insert(pfx, p)
		}
		d.allowedIPs.mu.Unlock()
	}
	if d.state.up {
		if created {
			p.start()
			return
		}
		if keepaliveOn {
			p.sendKeepalive()
		}
		p.sendStaged()
	}
}

func (d *Device) removePeer(p *Peer) {
	d.allowedIPs.mu.Lock()
	d.allowedIPs.table.RemoveByValue(p)
	d.allowedIPs.mu.Unlock()
	d.peers.mu.Lock()
	delete(d.peers.byKey, p.publicKey)
	d.peers.mu.Unlock()
	p.stop()
	p.stopTimers()
	p.dropStaged()
	p.zeroKeyMaterial()
}

// Get returns the device's configuration and statistics. Peers are listed
// in the order they were added.
func (d *Device) Get() (*wgtypes.Device, error) {
	d.state.Lock()
	port := d.state.listenPort
	if d.state.up {
		port = d.state.boundPort
	}
	dev := &wgtypes.Device{
		Type:         wgtypes.Userspace,
		ListenPort:   int(port),
		FirewallMark: d.state.fwmark,
	}
	d.state.Unlock()
	dev.Name, _ = d.tun.Name()
	d.identity.mu.RLock()
	if d.identity.ok {
		dev.PrivateKey = d.identity.privateKey
		dev.PublicKey = d.identity.publicKey
	}
	d.identity.mu.RUnlock()

	peers := d.peerList()
	slices.SortFunc(peers, func(a, b *Peer) int { return int(a.seq - b.seq) })
	dev.Peers = make([]wgtypes.Peer, 0, len(peers))
	d.allowedIPs.mu.RLock()
	defer d.allowedIPs.mu.RUnlock()
	for _, p := range peers {
		wp := wgtypes.Peer{
			PublicKey:           p.publicKey,
			PersistentKeepalive: uint16(p.persistentKeepalive.Load()),
			ReceiveBytes:        p.rxBytes.Load(),
			TransmitBytes:       p.txBytes.Load(),
			AllowedIPs:          d.allowedIPs.table.Prefixes(p),
			ProtocolVersion:     1,
		}
		p.handshake.mu.RLock()
		wp.PresharedKey = p.handshake.presharedKey
		p.handshake.mu.RUnlock()
		if ep := p.getEndpoint(); ep != nil {
			wp.Endpoint = ep.Dst()
		}
		if ns := p.lastHandshakeNano.Load(); ns != 0 {
			wp.LastHandshakeTime = time.Unix(0, ns)
		}
		dev.Peers = append(dev.Peers, wp)
	}
	return dev, nil
}
