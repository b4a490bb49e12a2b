package core

import (
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// The handshake state machine of one peer (protocol.md §3).

type handshakeState int

const (
	handshakeZeroed handshakeState = iota
	handshakeInitiationCreated
	handshakeInitiationConsumed
	handshakeResponseCreated
	handshakeResponseConsumed
)

// initiationsPerSecond bounds how often a peer's initiations are consumed.
const minInitiationInterval = time.Second / 50

type handshake struct {
	mu              sync.RWMutex
	state           handshakeState
	hash            [32]byte
	chainKey        [32]byte
	presharedKey    key
	localEphemeral  key
	localIndex      uint32
	remoteIndex     uint32
	remoteStatic    key
	remoteEphemeral key
	// staticStatic is DH(our private, peer public), precomputed whenever
	// either key changes; ok is false if there is no private key or the
	// peer's key is of low order.
	staticStatic   [32]byte
	staticStaticOK bool

	lastTimestamp             [12]byte
	lastInitiationConsumption time.Time
}

// clear wipes the transient handshake state, keeping the replay and flood
// protections, and releases its index.
func (h *handshake) clear(indices *indexTable) {
	indices.delete(h.localIndex)
	h.localIndex = 0
	h.state = handshakeZeroed
	h.hash = [32]byte{}
	h.chainKey = [32]byte{}
	h.localEphemeral = key{}
	h.remoteEphemeral = key{}
	h.remoteIndex = 0
}

var (
	errNoIdentity     = errors.New("handshake: no private key or invalid peer key")
	errHandshakeState = errors.New("handshake: unexpected state")
)

func (d *Device) newEphemeral() key {
	var k key
	d.random(k[:])
	return k.Clamped()
}

// createInitiation fills msg with a new initiation to p (without MACs).
func (d *Device) createInitiation(p *Peer, msg *[initiationSize]byte) error {
	d.identity.mu.RLock()
	defer d.identity.mu.RUnlock()
	h := &p.handshake
	h.mu.Lock()
	defer h.mu.Unlock()
	if !d.identity.ok || !h.staticStaticOK {
		return errNoIdentity
	}

	h.hash = initialHash
	h.chainKey = initialChainKey
	mixHash(&h.hash, h.remoteStatic[:])

	h.localEphemeral = d.newEphemeral()
	ephPub := h.localEphemeral.PublicKey()
	copy(msg[8:40], ephPub[:])
	h.chainKey, _, _ = kdf(&h.chainKey, ephPub[:], 1)
	mixHash(&h.hash, ephPub[:])

	es, err := dh(&h.localEphemeral, &h.remoteStatic)
	if err != nil {
		return err
	}
	var k [32]byte
	h.chainKey, k, _ = kdf(&h.chainKey, es[:], 2)
	aeadSeal(msg[40:40], &k, d.identity.publicKey[:], h.hash[:])
	mixHash(&h.hash, msg[40:88])

	h.chainKey, k, _ = kdf(&h.chainKey, h.staticStatic[:], 2)
	ts := tai64n(d.clock.Now())
	aeadSeal(msg[88:88], &k, ts[:], h.hash[:])
	mixHash(&h.hash, msg[88:116])

	d.indices.delete(h.localIndex)
	h.localIndex = d.indices.newIndex(p, d.random)
	binary.LittleEndian.PutUint32(msg[0:], msgInitiation)
	binary.LittleEndian.PutUint32(msg[4:], h.localIndex)
	h.state = handshakeInitiationCreated
	return nil
}

// consumeInitiation authenticates an initiation and returns its peer, or
// nil if it must be dropped. On success the peer's handshake is ready for
// createResponse.
func (d *Device) consumeInitiation(msg []byte, now time.Time) *Peer {
	d.identity.mu.RLock()
	defer d.identity.mu.RUnlock()
	if !d.identity.ok {
		return nil
	}
	hash := initialHash
	chainKey := initialChainKey
	mixHash(&hash, d.identity.publicKey[:])
	var eph key
	copy(eph[:], msg[8:40])
	mixHash(&hash, eph[:])
	chainKey, _, _ = kdf(&chainKey, eph[:], 1)

	es, err := dh(&d.identity.privateKey, &eph)
	if err != nil {
		return nil
	}
	var k [32]byte
	chainKey, k, _ = kdf(&chainKey, es[:], 2)
	var peerKey key
	if _, err := aeadOpen(peerKey[:0], &k, msg[40:88], hash[:]); err != nil {
		return nil
	}
	mixHash(&hash, msg[40:88])

	p := d.lookupPeer(peerKey)
	if p == nil {
		return nil
	}
	h := &p.handshake
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.staticStaticOK {
		return nil
	}
	chainKey, k, _ = kdf(&chainKey, h.staticStatic[:], 2)
	var ts [12]byte
	if _, err := aeadOpen(ts[:0], &k, msg[88:116], hash[:]); err != nil {
		return nil
	}
	mixHash(&hash, msg[88:116])

	if !timestampAfter(ts, h.lastTimestamp) {
		return nil // replayed or older initiation
	}
	if !h.lastInitiationConsumption.IsZero() && now.Sub(h.lastInitiationConsumption) < minInitiationInterval {
		return nil // flood
	}

	h.hash = hash
	h.chainKey = chainKey
	h.remoteEphemeral = eph
	h.remoteIndex = binary.LittleEndian.Uint32(msg[4:])
	h.lastTimestamp = ts
	h.lastInitiationConsumption = now
	h.state = handshakeInitiationConsumed
	return p
}

// createResponse fills msg with the response to the initiation p's
// handshake consumed (without MACs).
func (d *Device) createResponse(p *Peer, msg *[responseSize]byte) error {
	h := &p.handshake
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != handshakeInitiationConsumed {
		return errHandshakeState
	}
	d.indices.delete(h.localIndex)
	h.localIndex = d.indices.newIndex(p, d.random)
	binary.LittleEndian.PutUint32(msg[0:], msgResponse)
	binary.LittleEndian.PutUint32(msg[4:], h.localIndex)
	binary.LittleEndian.PutUint32(msg[8:], h.remoteIndex)

	h.localEphemeral = d.newEphemeral()
	ephPub := h.localEphemeral.PublicKey()
	copy(msg[12:44], ephPub[:])
	mixHash(&h.hash, ephPub[:])
	h.chainKey, _, _ = kdf(&h.chainKey, ephPub[:], 1)

	ee, err := dh(&h.localEphemeral, &h.remoteEphemeral)
	if err != nil {
		return err
	}
	h.chainKey, _, _ = kdf(&h.chainKey, ee[:], 1)
	se, err := dh(&h.localEphemeral, &h.remoteStatic)
	if err != nil {
		return err
	}
	h.chainKey, _, _ = kdf(&h.chainKey, se[:], 1)

	var tau, k [32]byte
	h.chainKey, tau, k = kdf(&h.chainKey, h.presharedKey[:], 3)
	mixHash(&h.hash, tau[:])
	aeadSeal(msg[44:44], &k, nil, h.hash[:])
	mixHash(&h.hash, msg[44:60])
	h.state = handshakeResponseCreated
	return nil
}

// consumeResponse authenticates a response to our initiation and returns
// its peer, or nil if it must be dropped.
func (d *Device) consumeResponse(msg []byte) *Peer {
	idx := binary.LittleEndian.Uint32(msg[8:])
	e := d.indices.lookup(idx)
	if e.peer == nil || e.keypair != nil {
		return nil
	}
	p := e.peer
	h := &p.handshake

	h.mu.RLock()
	if h.state != handshakeInitiationCreated || h.localIndex != idx {
		h.mu.RUnlock()
		return nil
	}
	hash, chainKey, eph, psk := h.hash, h.chainKey, h.localEphemeral, h.presharedKey
	h.mu.RUnlock()

	var remoteEph key
	copy(remoteEph[:], msg[12:44])
	mixHash(&hash, remoteEph[:])
	chainKey, _, _ = kdf(&chainKey, remoteEph[:], 1)
	ee, err := dh(&eph, &remoteEph)
	if err != nil {
		return nil
	}
	chainKey, _, _ = kdf(&chainKey, ee[:], 1)
	d.identity.mu.RLock()
	se, err := dh(&d.identity.privateKey, &remoteEph)
	d.identity.mu.RUnlock()
	if err != nil {
		return nil
	}
	chainKey, _, _ = kdf(&chainKey, se[:], 1)
	var tau, k [32]byte
	chainKey, tau, k = kdf(&chainKey, psk[:], 3)
	mixHash(&hash, tau[:])
	if _, err := aeadOpen(nil, &k, msg[44:60], hash[:]); err != nil {
		return nil
	}
	mixHash(&hash, msg[44:60])

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != handshakeInitiationCreated || h.localIndex != idx {
		return nil // another handshake raced us
	}
	h.hash = hash
	h.chainKey = chainKey
	h.remoteIndex = binary.LittleEndian.Uint32(msg[4:])
	h.state = handshakeResponseConsumed
	return p
}

// beginSession derives the transport keys from a completed handshake and
// files the new keypair into p's slots (protocol.md §3.5 and §6).
func (d *Device) beginSession(p *Peer, now time.Time) error {
	h := &p.handshake
	h.mu.Lock()
	var isInitiator bool
	switch h.state {
	case handshakeResponseConsumed:
		isInitiator = true
	case handshakeResponseCreated:
	default:
		h.mu.Unlock()
		return errHandshakeState
	}
	t1, t2, _ := kdf(&h.chainKey, nil, 2)
	sendKey, recvKey := t2, t1
	if isInitiator {
		sendKey, recvKey = t1, t2
	}
	kp := &keypair{
		created:     now,
		isInitiator: isInitiator,
		localIndex:  h.localIndex,
		remoteIndex: h.remoteIndex,
		peer:        p,
	}
	kp.send, _ = chacha20poly1305.New(sendKey[:])
	kp.recv, _ = chacha20poly1305.New(recvKey[:])
	d.indices.setKeypair(h.localIndex, kp)
	h.localIndex = 0 // now owned by the keypair
	h.clear(&d.indices)
	h.mu.Unlock()

	ks := &p.keypairs
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if isInitiator {
		d.dropKeypair(ks.previous)
		if ks.next != nil {
			ks.previous = ks.next
			ks.next = nil
			d.dropKeypair(ks.current)
		} else {
			ks.previous = ks.current
		}
		ks.current = kp
	} else {
		d.dropKeypair(ks.next)
		ks.next = kp
		d.dropKeypair(ks.previous)
		ks.previous = nil
	}
	return nil
}

func (d *Device) dropKeypair(kp *keypair) {
	if kp != nil {
		d.indices.delete(kp.localIndex)
	}
}

// confirmKeypair rotates the slots when kp, received on, is the next
// keypair (key confirmation); it reports whether it was.
func (ks *keypairs) confirm(d *Device, kp *keypair) bool {
	ks.mu.RLock()
	isNext := ks.next == kp
	ks.mu.RUnlock()
	if !isNext {
		return false
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.next != kp {
		return false
	}
	d.dropKeypair(ks.previous)
	ks.previous = ks.current
	ks.current = ks.next
	ks.next = nil
	return true
}
