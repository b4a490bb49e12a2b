package core

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/wgshim/wgshim/core/clock"
)

// Protocol constants (protocol.md §8.1).
const (
	RekeyAfterMessages  = 1 << 60
	RejectAfterMessages = 1<<64 - 1<<13 - 1
	RekeyAfterTime      = 120 * time.Second
	RejectAfterTime     = 180 * time.Second
	RekeyAttemptTime    = 90 * time.Second
	RekeyTimeout        = 5 * time.Second
	KeepaliveTimeout    = 10 * time.Second
	maxTimerHandshakes  = int(RekeyAttemptTime / RekeyTimeout)
	maxStagedPackets    = 128
	rekeyJitterMax      = 334 * time.Millisecond
)

// timer is a clock.Timer that knows whether it is pending.
type timer struct {
	mu      sync.Mutex
	t       clock.Timer
	pending bool
}

func newTimer(c clock.Clock, p *Peer, fn func(*Peer)) *timer {
	t := &timer{}
	t.t = c.AfterFunc(time.Hour, func() {
		t.mu.Lock()
		if !t.pending {
			t.mu.Unlock()
			return
		}
		t.pending = false
		t.mu.Unlock()
		if p.running.Load() {
			fn(p)
		}
	})
	t.t.Stop()
	return t
}

func (t *timer) mod(d time.Duration) {
	t.mu.Lock()
	t.pending = true
	t.t.Reset(d)
	t.mu.Unlock()
}

func (t *timer) del() {
	t.mu.Lock()
	t.pending = false
	t.t.Stop()
	t.mu.Unlock()
}

func (t *timer) isPending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending
}

func jitter() time.Duration { return time.Duration(rand.Int64N(int64(rekeyJitterMax))) }

// The five per-peer timers (protocol.md §8.2, the kernel's timers.c).
type peerTimers struct {
	retransmitHandshake *timer
	sendKeepalive       *timer
	newHandshake        *timer
	zeroKeyMaterial     *timer
	persistentKeepalive *timer

	mu                      sync.Mutex
	handshakeAttempts       int
	needAnotherKeepalive    bool
	sentLastMinuteHandshake bool
}

func (p *Peer) initTimers() {
	c := p.device.clock
	p.timers.retransmitHandshake = newTimer(c, p, (*Peer).expiredRetransmitHandshake)
	p.timers.sendKeepalive = newTimer(c, p, (*Peer).expiredSendKeepalive)
	p.timers.newHandshake = newTimer(c, p, (*Peer).expiredNewHandshake)
	p.timers.zeroKeyMaterial = newTimer(c, p, (*Peer).expiredZeroKeyMaterial)
	p.timers.persistentKeepalive = newTimer(c, p, (*Peer).expiredPersistentKeepalive)
}

func (p *Peer) stopTimers() {
	p.timers.retransmitHandshake.del()
	p.timers.sendKeepalive.del()
	p.timers.newHandshake.del()
	p.timers.zeroKeyMaterial.del()
	p.timers.persistentKeepalive.del()
}

func (p *Peer) expiredRetransmitHandshake() {
	p.timers.mu.Lock()
	if p.timers.handshakeAttempts > maxTimerHandshakes {
		p.timers.mu.Unlock()
		p.device.log.Verbosef("%v: handshake did not complete after %d attempts, giving up", p, maxTimerHandshakes+2)
		p.timers.sendKeepalive.del()
		p.dropStaged()
		if !p.timers.zeroKeyMaterial.isPending() {
			p.timers.zeroKeyMaterial.mod(3 * RejectAfterTime)
		}
		return
	}
	p.timers.handshakeAttempts++
	attempts := p.timers.handshakeAttempts
	p.timers.mu.Unlock()
	p.device.log.Verbosef("%v: handshake did not complete after %d seconds, retrying (try %d)", p, int(RekeyTimeout/time.Second), attempts+1)
	p.clearEndpointSrc()
	p.sendInitiation(true)
}

func (p *Peer) expiredSendKeepalive() {
	p.sendKeepalive()
	p.timers.mu.Lock()
	again := p.timers.needAnotherKeepalive
	p.timers.needAnotherKeepalive = false
	p.timers.mu.Unlock()
	if again {
		p.timers.sendKeepalive.mod(KeepaliveTimeout)
	}
}

func (p *Peer) expiredNewHandshake() {
	p.device.log.Verbosef("%v: no reply to data for %d seconds, new handshake", p, int((KeepaliveTimeout+RekeyTimeout)/time.Second))
	p.clearEndpointSrc()
	p.sendInitiation(false)
}

func (p *Peer) expiredZeroKeyMaterial() {
	p.device.log.Verbosef("%v: removing all keys, no new session for %d seconds", p, int(3*RejectAfterTime/time.Second))
	p.zeroKeyMaterial()
}

func (p *Peer) expiredPersistentKeepalive() {
	if p.persistentKeepalive.Load() > 0 {
		p.sendKeepalive()
	}
}

// The timer hooks, called by the send and receive paths.

// timersHandshakeInitiated: after an initiation is sent.
func (p *Peer) timersHandshakeInitiated() {
	p.timers.retransmitHandshake.mod(RekeyTimeout + jitter())
}

// timersAuthPacketSent: after any authenticated packet is sent.
func (p *Peer) timersAuthPacketSent() { p.timers.sendKeepalive.del() }

// timersAuthPacketReceived: after any authenticated packet is received.
func (p *Peer) timersAuthPacketReceived() { p.timers.newHandshake.del() }

// timersTraversal: around any authenticated packet, sent or received.
func (p *Peer) timersTraversal() {
	if ka := p.persistentKeepalive.Load(); ka > 0 {
		p.timers.persistentKeepalive.mod(time.Duration(ka) * time.Second)
	}
}

// timersDataSent: after data (not a keepalive) is sent.
func (p *Peer) timersDataSent() {
	if !p.timers.newHandshake.isPending() {
		p.timers.newHandshake.mod(KeepaliveTimeout + RekeyTimeout + jitter())
	}
}

// timersDataReceived: after data (not a keepalive) is received.
func (p *Peer) timersDataReceived() {
	if !p.timers.sendKeepalive.isPending() {
		p.timers.sendKeepalive.mod(KeepaliveTimeout)
		return
	}
	p.timers.mu.Lock()
	p.timers.needAnotherKeepalive = true
	p.timers.mu.Unlock()
}

// timersSessionDerived: when a new keypair is derived.
func (p *Peer) timersSessionDerived() { p.timers.zeroKeyMaterial.mod(3 * RejectAfterTime) }

// timersHandshakeComplete: when a handshake completes (for the responder,
// on key confirmation).
func (p *Peer) timersHandshakeComplete() {
	p.timers.retransmitHandshake.del()
	p.timers.mu.Lock()
	p.timers.handshakeAttempts = 0
	p.timers.sentLastMinuteHandshake = false
	p.timers.mu.Unlock()
	p.lastHandshakeNano.Store(p.device.now().UnixNano())
}
