package core

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/wgshim/wgshim/core/conn"
)

// Peer is one remote WireGuard peer of a Device.
type Peer struct {
	device    *Device
	publicKey key
	seq       int64 // creation order, for stable listings
	running   atomic.Bool

	handshake handshake
	keypairs  keypairs
	cookies   cookieGenerator
	timers    peerTimers

	endpointMu sync.RWMutex
	endpoint   conn.Endpoint

	persistentKeepalive atomic.Uint32 // seconds
	rxBytes             atomic.Uint64
	txBytes             atomic.Uint64
	lastHandshakeNano   atomic.Int64 // wall clock; 0 = never

	// lastSentHandshake rate-limits initiations to one per RekeyTimeout;
	// the zero time means "long ago".
	lastSentHandshake atomic.Int64 // clock nanos

	// staged holds packets waiting for a session, oldest first; its mutex
	// also orders counter assignment with the transmit queue.
	stagedMu sync.Mutex
	staged   []*packetBuffer

	txq orderedQueue[*outBatch]
	rxq orderedQueue[*inBatch]

	outPending []*packetBuffer // readTUN's scratch
	rxWrite    [][]byte        // the receive drain's scratch
}

func (d *Device) newPeer(pk key) *Peer {
	p := &Peer{device: d, publicKey: pk}
	p.cookies.init(pk)
	p.handshake.remoteStatic = pk
	d.identity.mu.RLock()
	p.precomputeStaticStatic()
	d.identity.mu.RUnlock()
	p.initTimers()
	p.txq.drain = p.transmit
	p.rxq.drain = p.receiveBatch
	return p
}

// precomputeStaticStatic refreshes DH(our private, peer public). The caller
// holds the identity lock.
func (p *Peer) precomputeStaticStatic() {
	h := &p.handshake
	h.mu.Lock()
	defer h.mu.Unlock()
	h.staticStaticOK = false
	if !p.device.identity.ok {
		return
	}
	ss, err := dh(&p.device.identity.privateKey, &h.remoteStatic)
	if err != nil {
		return // low-order peer key: never handshake with it
	}
	h.staticStatic = ss
	h.staticStaticOK = true
}

// String names the peer in logs by an abbreviated public key.
func (p *Peer) String() string {
	s := p.publicKey.String()
	return "peer(" + s[:4] + "…" + s[39:43] + ")"
}

func (p *Peer) start() {
	if p.running.Swap(true) {
		return
	}
	p.lastSentHandshake.Store(0)
	if p.persistentKeepalive.Load() > 0 {
		p.sendKeepalive()
	}
	p.sendStaged()
}

func (p *Peer) stop() {
	if !p.running.Swap(false) {
		return
	}
	p.stopTimers()
	p.dropStaged()
	p.zeroKeyMaterial()
	p.lastSentHandshake.Store(0)
}

// zeroKeyMaterial forgets the handshake and every session.
func (p *Peer) zeroKeyMaterial() {
	d := p.device
	p.handshake.mu.Lock()
	p.handshake.clear(&d.indices)
	p.handshake.mu.Unlock()
	ks := &p.keypairs
	ks.mu.Lock()
	d.dropKeypair(ks.previous)
	d.dropKeypair(ks.current)
	d.dropKeypair(ks.next)
	ks.previous, ks.current, ks.next = nil, nil, nil
	ks.mu.Unlock()
}

func (p *Peer) getEndpoint() conn.Endpoint {
	p.endpointMu.RLock()
	defer p.endpointMu.RUnlock()
	return p.endpoint
}

func (p *Peer) setEndpoint(ep conn.Endpoint) {
	p.endpointMu.Lock()
	p.endpoint = ep
	p.endpointMu.Unlock()
}

func (p *Peer) clearEndpointSrc() {
	p.endpointMu.RLock()
	if p.endpoint != nil {
		p.endpoint.ClearSrc()
	}
	p.endpointMu.RUnlock()
}

// sendInitiation sends a new handshake initiation unless one went out less
// than RekeyTimeout ago. A retry keeps the attempt count.
func (p *Peer) sendInitiation(isRetry bool) {
	d := p.device
	if !isRetry {
		p.timers.mu.Lock()
		p.timers.handshakeAttempts = 0
		p.timers.mu.Unlock()
	}
	if !p.running.Load() {
		return
	}
	// Claim the send slot atomically: the TUN reader and a crypto worker
	// can both find the session spent at the same instant.
	now := d.now()
	last := p.lastSentHandshake.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < RekeyTimeout {
		return
	}
	if !p.lastSentHandshake.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	var msg [initiationSize]byte
	if err := d.createInitiation(p, &msg); err != nil {
		p.lastSentHandshake.CompareAndSwap(now.UnixNano(), last)
		return
	}
	p.cookies.addMACs(msg[:], now)
	p.timersTraversal()
	p.timersAuthPacketSent()
	// Arm the retransmission before sending: the response can be handled
	// by another goroutine before sendMessage returns, and arming after
	// that would schedule a needless retry of a completed handshake.
	p.timersHandshakeInitiated()
	if err := p.sendMessage(msg[:]); err != nil {
		d.log.Verbosef("%v: send handshake initiation: %v", p, err)
	}
}

// sendResponse answers the initiation p's handshake consumed.
func (p *Peer) sendResponse() {
	d := p.device
	var msg [responseSize]byte
	if err := d.createResponse(p, &msg); err != nil {
		return
	}
	now := d.now()
	p.lastSentHandshake.Store(now.UnixNano())
	p.cookies.addMACs(msg[:], now)
	if err := d.beginSession(p, now); err != nil {
		return
	}
	p.timersSessionDerived()
	p.timersTraversal()
	p.timersAuthPacketSent()
	if err := p.sendMessage(msg[:]); err != nil {
		d.log.Verbosef("%v: send handshake response: %v", p, err)
	}
}

// sendMessage sends one handshake message to the peer's endpoint and
// counts it.
func (p *Peer) sendMessage(msg []byte) error {
	ep := p.getEndpoint()
	if ep == nil {
		return errNoEndpoint
	}
	bufs := [1][]byte{msg}
	err := p.device.bind.Send(bufs[:], 0, ep)
	if err == nil {
		p.txBytes.Add(uint64(len(msg)))
	}
	return err
}

// sendKeepalive stages an empty packet if nothing is staged, then flushes.
func (p *Peer) sendKeepalive() {
	p.stagedMu.Lock()
	if len(p.staged) == 0 {
		b := getPacketBuffer()
		b.n = 0
		p.staged = append(p.staged, b)
	}
	p.stagedMu.Unlock()
	p.sendStaged()
}

// stage appends packets to the staged queue, dropping the oldest beyond
// the limit.
func (p *Peer) stage(bufs []*packetBuffer) {
	p.stagedMu.Lock()
	p.staged = append(p.staged, bufs...)
	if extra := len(p.staged) - maxStagedPackets; extra > 0 {
		for _, b := range p.staged[:extra] {
			putPacketBuffer(b)
		}
		p.device.stats.StagedDropped.Add(uint64(extra))
		n := copy(p.staged, p.staged[extra:])
		clear(p.staged[n:])
		p.staged = p.staged[:n]
	}
	p.stagedMu.Unlock()
}

func (p *Peer) dropStaged() {
	p.stagedMu.Lock()
	for _, b := range p.staged {
		putPacketBuffer(b)
	}
	clear(p.staged)
	p.staged = p.staged[:0]
	p.stagedMu.Unlock()
}
