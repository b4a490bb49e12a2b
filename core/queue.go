package core

import (
	"sync"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wgshim/wgshim/core/conn"
)

// Buffers and the per-peer ordering of batches processed in parallel.

// packetBuffer holds one message: transportHeaderSize bytes of headroom,
// then the inner packet (n bytes), with room for padding and the tag.
type packetBuffer struct {
	data [bufferSize]byte
	n    int
}

// packetPool keeps freed buffers for reuse. Unlike a sync.Pool it is not
// emptied by the garbage collector, so a busy datapath reaches a steady
// state with no allocation at all; maxPooledBuffers bounds what an idle
// device keeps.
var packetPool struct {
	sync.Mutex
	free []*packetBuffer
}

const maxPooledBuffers = 4096

func getPacketBuffer() *packetBuffer {
	packetPool.Lock()
	if n := len(packetPool.free); n > 0 {
		b := packetPool.free[n-1]
		packetPool.free[n-1] = nil
		packetPool.free = packetPool.free[:n-1]
		packetPool.Unlock()
		return b
	}
	packetPool.Unlock()
	return new(packetBuffer)
}

func putPacketBuffer(b *packetBuffer) {
	packetPool.Lock()
	if len(packetPool.free) < maxPooledBuffers {
		packetPool.free = append(packetPool.free, b)
	}
	packetPool.Unlock()
}

// maxBatch bounds the packets of one batch of work.
const maxBatch = 128

// seqState marks a batch as processed; it is guarded by the queue's lock.
type seqState struct{ done bool }

func (s *seqState) state() *seqState { return s }

// orderedQueue hands a peer's batches to drain in the order they were
// pushed, although workers finish them in any order. Whichever worker
// completes the head batch drains every completed batch at the head, so a
// peer needs no goroutine of its own.
type orderedQueue[T interface{ state() *seqState }] struct {
	mu       sync.Mutex
	ring     []T
	head     int
	count    int
	draining bool
	drain    func(T)
}

func (q *orderedQueue[T]) push(t T) {
	q.mu.Lock()
	if q.count == len(q.ring) {
		grown := make([]T, max(8, 2*len(q.ring)))
		for i := range q.count {
			grown[i] = q.ring[(q.head+i)%len(q.ring)]
		}
		q.ring, q.head = grown, 0
	}
	q.ring[(q.head+q.count)%len(q.ring)] = t
	q.count++
	q.mu.Unlock()
}

// complete marks t processed and drains the head of the queue if no other
// goroutine is draining it.
func (q *orderedQueue[T]) complete(t T) {
	q.mu.Lock()
	t.state().done = true
	if q.draining {
		q.mu.Unlock()
		return
	}
	q.draining = true
	for q.count > 0 && q.ring[q.head].state().done {
		var zero T
		h := q.ring[q.head]
		q.ring[q.head] = zero
		q.head = (q.head + 1) % len(q.ring)
		q.count--
		q.mu.Unlock()
		q.drain(h)
		q.mu.Lock()
	}
	q.draining = false
	q.mu.Unlock()
}

// outBatch is a run of a peer's packets encrypted with one keypair.
type outBatch struct {
	seqState
	peer     *Peer
	keypair  *keypair
	bufs     []*packetBuffer
	counters []uint64
	msgs     [][]byte // the encrypted messages, for the bind
	nonce    [chacha20poly1305.NonceSize]byte
}

var outBatchPool = sync.Pool{New: func() any {
	return &outBatch{
		bufs:     make([]*packetBuffer, 0, maxBatch),
		counters: make([]uint64, 0, maxBatch),
		msgs:     make([][]byte, 0, maxBatch),
	}
}}

func getOutBatch(p *Peer, kp *keypair) *outBatch {
	b := outBatchPool.Get().(*outBatch)
	b.peer, b.keypair, b.done = p, kp, false
	return b
}

func putOutBatch(b *outBatch) {
	for _, pb := range b.bufs {
		putPacketBuffer(pb)
	}
	clear(b.bufs)
	clear(b.msgs)
	b.bufs, b.counters, b.msgs = b.bufs[:0], b.counters[:0], b.msgs[:0]
	b.peer, b.keypair = nil, nil
	outBatchPool.Put(b)
}

// inBatch is a run of received transport messages for one keypair.
type inBatch struct {
	seqState
	peer     *Peer
	keypair  *keypair
	bufs     []*packetBuffer // message at data[:n]
	counters []uint64
	eps      []conn.Endpoint
	ok       []bool // decrypted and authenticated
	nonce    [chacha20poly1305.NonceSize]byte
}

var inBatchPool = sync.Pool{New: func() any {
	return &inBatch{
		bufs:     make([]*packetBuffer, 0, maxBatch),
		counters: make([]uint64, 0, maxBatch),
		eps:      make([]conn.Endpoint, 0, maxBatch),
		ok:       make([]bool, 0, maxBatch),
	}
}}

func getInBatch(kp *keypair) *inBatch {
	b := inBatchPool.Get().(*inBatch)
	b.peer, b.keypair, b.done = kp.peer, kp, false
	return b
}

func putInBatch(b *inBatch) {
	for _, pb := range b.bufs {
		putPacketBuffer(pb)
	}
	clear(b.bufs)
	clear(b.eps)
	b.bufs, b.counters, b.eps, b.ok = b.bufs[:0], b.counters[:0], b.eps[:0], b.ok[:0]
	b.peer, b.keypair = nil, nil
	inBatchPool.Put(b)
}
