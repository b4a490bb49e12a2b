package core

import (
	"crypto/cipher"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wgshim/wgshim/core/replay"
)

// keypair is one session's transport keys (protocol.md §3.5).
type keypair struct {
	send        cipher.AEAD
	recv        cipher.AEAD
	sendCounter atomic.Uint64
	// replay is only touched by the peer's in-order receive drain.
	replay      replay.Filter
	created     time.Time
	isInitiator bool
	localIndex  uint32
	remoteIndex uint32
	peer        *Peer
}

// keypairs holds a peer's three session slots (protocol.md §6).
type keypairs struct {
	mu       sync.RWMutex
	previous *keypair
	current  *keypair
	next     *keypair
}

func (k *keypairs) Current() *keypair {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current
}

// indexTable maps our 32-bit session indices to handshakes and keypairs
// (protocol.md §11).
type indexTable struct {
	mu sync.RWMutex
	m  map[uint32]indexEntry
}

type indexEntry struct {
	peer    *Peer
	keypair *keypair // nil while the entry names a handshake
}

func (t *indexTable) init() { t.m = make(map[uint32]indexEntry) }

// newIndex registers a handshake of p under a fresh random index.
func (t *indexTable) newIndex(p *Peer, random func([]byte)) uint32 {
	var b [4]byte
	for {
		random(b[:])
		idx := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		if idx == 0 { // 0 means "no index" in our structures
			continue
		}
		t.mu.Lock()
		if _, used := t.m[idx]; !used {
			t.m[idx] = indexEntry{peer: p}
			t.mu.Unlock()
			return idx
		}
		t.mu.Unlock()
	}
}

func (t *indexTable) setKeypair(idx uint32, kp *keypair) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[idx]; ok {
		e.keypair = kp
		t.m[idx] = e
	}
}

func (t *indexTable) delete(idx uint32) {
	if idx == 0 {
		return
	}
	t.mu.Lock()
	delete(t.m, idx)
	t.mu.Unlock()
}

func (t *indexTable) lookup(idx uint32) indexEntry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.m[idx]
}
