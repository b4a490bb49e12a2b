package core

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// MAC1, MAC2 and cookie replies (protocol.md §4).

const (
	cookieSecretMaxAge = 120 * time.Second
	// cookieUsableAge is how long we attach a received cookie as mac2; the
	// kernel's 5 s margin keeps us inside the responder's 120 s secret.
	cookieUsableAge = 120*time.Second - 5*time.Second
)

func macOffsets(msg []byte) (mac1, mac2 int) {
	if len(msg) == initiationSize {
		return initiationMAC1, initiationMAC2
	}
	return responseMAC1, responseMAC2
}

// cookieChecker validates the MACs of handshake messages sent to us and
// makes cookie replies when we are under load.
type cookieChecker struct {
	mu        sync.RWMutex
	mac1Key   [32]byte // HASH(LABEL_MAC1 || our public key)
	cookieKey [32]byte // HASH(LABEL_COOKIE || our public key)

	secretMu   sync.Mutex
	secret     [32]byte
	secretTime time.Time // zero: no secret yet
}

func (c *cookieChecker) init(publicKey key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mac1Key = hashOf([]byte(labelMAC1), publicKey[:])
	c.cookieKey = hashOf([]byte(labelCookie), publicKey[:])
}

func (c *cookieChecker) checkMAC1(msg []byte) bool {
	off, _ := macOffsets(msg)
	var m [16]byte
	c.mu.RLock()
	mac(&m, c.mac1Key[:], msg[:off])
	c.mu.RUnlock()
	return constantTimeEqual16(m[:], msg[off:])
}

// sourceBytes encodes the packet source as IP bytes followed by the port,
// big-endian, like the kernel. Only we recompute it, so any encoding that
// covers address and port would do.
func sourceBytes(buf *[18]byte, src netip.AddrPort) []byte {
	a := src.Addr().Unmap()
	n := 4
	if a.Is4() {
		b := a.As4()
		copy(buf[:], b[:])
	} else {
		b := a.As16()
		copy(buf[:], b[:])
		n = 16
	}
	binary.BigEndian.PutUint16(buf[n:], src.Port())
	return buf[:n+2]
}

// cookie returns the cookie for src, refreshing the secret when it is older
// than two minutes (or absent) if refresh is set; ok is false if there is
// no valid secret and refresh is not set.
func (c *cookieChecker) cookie(src netip.AddrPort, now time.Time, refresh func([]byte)) (out [16]byte, ok bool) {
	c.secretMu.Lock()
	defer c.secretMu.Unlock()
	if c.secretTime.IsZero() || now.Sub(c.secretTime) > cookieSecretMaxAge {
		if refresh == nil {
			return out, false
		}
		refresh(c.secret[:])
		c.secretTime = now
	}
	var sb [18]byte
	mac(&out, c.secret[:], sourceBytes(&sb, src))
	return out, true
}

func (c *cookieChecker) checkMAC2(msg []byte, src netip.AddrPort, now time.Time) bool {
	cookie, ok := c.cookie(src, now, nil)
	if !ok {
		return false
	}
	_, off := macOffsets(msg)
	var m [16]byte
	mac(&m, cookie[:], msg[:off])
	return constantTimeEqual16(m[:], msg[off:])
}

// createReply builds the cookie reply to msg, sent by src; random fills
// the secret and the nonce.
func (c *cookieChecker) createReply(reply *[cookieReplySize]byte, msg []byte, src netip.AddrPort, now time.Time, random func([]byte)) {
	cookie, _ := c.cookie(src, now, random)
	mac1Off, _ := macOffsets(msg)
	binary.LittleEndian.PutUint32(reply[0:], msgCookieReply)
	copy(reply[4:8], msg[4:8]) // the sender index of the message answered
	random(reply[8:32])
	c.mu.RLock()
	a, _ := chacha20poly1305.NewX(c.cookieKey[:])
	c.mu.RUnlock()
	a.Seal(reply[32:32], reply[8:32], cookie[:], msg[mac1Off:mac1Off+16])
}

// cookieGenerator adds MACs to the handshake messages we send to one peer
// and consumes the cookie replies that peer sends us.
type cookieGenerator struct {
	mu        sync.Mutex
	mac1Key   [32]byte // HASH(LABEL_MAC1 || peer's public key)
	cookieKey [32]byte // HASH(LABEL_COOKIE || peer's public key)

	cookie     [16]byte
	cookieTime time.Time // zero: no cookie
	lastMAC1   [16]byte
	haveMAC1   bool // a reply may decrypt against lastMAC1, once
}

func (g *cookieGenerator) init(peerKey key) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mac1Key = hashOf([]byte(labelMAC1), peerKey[:])
	g.cookieKey = hashOf([]byte(labelCookie), peerKey[:])
	g.cookieTime = time.Time{}
	g.haveMAC1 = false
}

func (g *cookieGenerator) addMACs(msg []byte, now time.Time) {
	off1, off2 := macOffsets(msg)
	g.mu.Lock()
	defer g.mu.Unlock()
	var m [16]byte
	mac(&m, g.mac1Key[:], msg[:off1])
	copy(msg[off1:], m[:])
	g.lastMAC1 = m
	g.haveMAC1 = true
	if !g.cookieTime.IsZero() && now.Sub(g.cookieTime) < cookieUsableAge {
		mac(&m, g.cookie[:], msg[:off2])
		copy(msg[off2:], m[:])
	} else {
		clear(msg[off2 : off2+16])
	}
}

// consumeReply stores the cookie in msg if it decrypts against the mac1 of
// the last message we sent; it reports whether it did.
func (g *cookieGenerator) consumeReply(msg []byte, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.haveMAC1 {
		return false
	}
	a, _ := chacha20poly1305.NewX(g.cookieKey[:])
	var cookie [16]byte
	if _, err := a.Open(cookie[:0], msg[8:32], msg[32:cookieReplySize], g.lastMAC1[:]); err != nil {
		return false
	}
	g.cookie = cookie
	g.cookieTime = now
	g.haveMAC1 = false
	return true
}
