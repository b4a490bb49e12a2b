package core

import (
	"crypto/rand"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wgshim/wgshim/core/allowedips"
	"github.com/wgshim/wgshim/core/clock"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/ratelimiter"
	"github.com/wgshim/wgshim/core/tun"
)

// Options are a Device's dependencies beyond the TUN and the bind; the zero
// value uses the system clock, crypto/rand and no logging.
type Options struct {
	Clock  clock.Clock
	Rand   io.Reader // randomness for keys, indices, nonces
	Logger *Logger
	// Workers is the number of crypto goroutines. 0 chooses: none on
	// machines with at most two CPUs, GOMAXPROCS otherwise. With none
	// (or -1), the goroutines that read the TUN and the sockets encrypt
	// and decrypt what they read themselves, which saves two hand-offs
	// per batch.
	Workers int
}

// Device is a WireGuard interface: the engine between a TUN device and a
// UDP bind.
type Device struct {
	clock  clock.Clock
	rand   io.Reader
	log    *Logger
	tun    tun.Device
	bind   conn.Bind
	mtu    atomic.Int32
	closed atomic.Bool

	// state serialises configuration, up/down and close.
	state struct {
		sync.Mutex
		up         bool // the TUN is up
		listenPort uint16
		boundPort  uint16
		fwmark     uint32
		receivers  sync.WaitGroup
	}

	identity struct {
		mu         sync.RWMutex
		privateKey key
		publicKey  key
		ok         bool // privateKey is set
	}

	peers struct {
		mu    sync.RWMutex
		byKey map[key]*Peer
	}
	peerSeq int64 // guarded by peers.mu

	allowedIPs struct {
		mu    sync.RWMutex
		table allowedips.Table[*Peer]
	}

	indices       indexTable
	cookieChecker cookieChecker
	limiter       *ratelimiter.Limiter
	underLoadTill atomic.Int64 // unix nanos of the clock
	// forceUnderLoad makes every handshake take the cookie path (tests).
	forceUnderLoad atomic.Bool

	queue struct {
		encryption chan *outBatch
		decryption chan *inBatch
		handshake  chan *handshakeWork
	}
	// busy counts queued work (batches and handshakes) not yet finished,
	// so tests can tell when the engine is idle.
	busy     atomic.Int64
	workers  sync.WaitGroup
	tunWrite sync.Mutex
	done     chan struct{}
	stats    Stats
}

// Stats counts packets the device dropped, by reason.
type Stats struct {
	InvalidMessage   atomic.Uint64 // unknown type, bad length or MAC
	DecryptFailed    atomic.Uint64
	Replayed         atomic.Uint64
	NoRoute          atomic.Uint64 // no peer for the destination
	SourceNotAllowed atomic.Uint64 // inner source outside the peer's allowed IPs
	HandshakeDropped atomic.Uint64 // handshake queue full, flood or rate limited
	StagedDropped    atomic.Uint64
}

const (
	handshakeQueueSize = 1024
	// loadThreshold is the handshake queue length from which the device
	// is under load (protocol.md §9.1).
	loadThreshold = handshakeQueueSize / 8
	underLoadFor  = time.Second
	// maxPeers bounds the number of peers (wireguard-go's limit).
	maxPeers = 1 << 16
	// bufferSize holds the transport header, the largest IP packet and
	// the padding and tag that encryption adds.
	bufferSize = transportHeaderSize + 65535 + 32
	// DefaultMTU is used when the TUN cannot tell its MTU.
	DefaultMTU = 1420
)

// NewDevice returns a device on tun and bind. It starts down and goes up
// when the TUN reports EventUp. Close releases it.
func NewDevice(t tun.Device, b conn.Bind, opts Options) *Device {
	d := &Device{clock: opts.Clock, rand: opts.Rand, log: opts.Logger, tun: t, bind: b}
	if d.clock == nil {
		d.clock = clock.Real
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	if d.log == nil {
		d.log = DiscardLogger
	}
	d.peers.byKey = make(map[key]*Peer)
	d.indices.init()
	d.limiter = ratelimiter.New(d.clock)
	d.done = make(chan struct{})
	mtu, err := t.MTU()
	if err != nil || mtu <= 0 {
		mtu = DefaultMTU
	}
	d.mtu.Store(int32(mtu))

	n := opts.Workers
	if n == 0 {
		n = autoWorkers()
	}
	if n > 0 {
		// Short crypto queues keep a bounded number of buffers in
		// flight: a few batches per worker keep every core busy, and a
		// full queue pushes back on the TUN and socket readers.
		d.queue.encryption = make(chan *outBatch, 4*n)
		d.queue.decryption = make(chan *inBatch, 4*n)
		d.workers.Add(2 * n)
		for range n {
			go d.encryptionWorker()
			go d.decryptionWorker()
		}
	}
	d.queue.handshake = make(chan *handshakeWork, handshakeQueueSize)
	for range max(n, 1) {
		d.workers.Add(1)
		go d.handshakeWorker()
	}
	d.workers.Add(2)
	go d.readTUN()
	go d.watchTUN()
	return d
}

// autoWorkers picks the number of crypto workers. On one or two CPUs,
// handing batches to workers costs more in wake-ups than the parallelism
// gains: the TUN reader and the socket readers already run side by side
// (measured with iperf3 through a tunnel on two cores: about a third less
// CPU per GB inline). Tests override it to cover both paths.
var autoWorkers = func() int {
	if n := runtime.GOMAXPROCS(0); n > 2 {
		return n
	}
	return -1
}

// random fills b from the device's randomness source.
func (d *Device) random(b []byte) {
	if _, err := io.ReadFull(d.rand, b); err != nil {
		panic("core: randomness source failed: " + err.Error())
	}
}

func (d *Device) now() time.Time { return d.clock.Now() }

// watchTUN follows the TUN's up/down and MTU events.
func (d *Device) watchTUN() {
	defer d.workers.Done()
	for ev := range d.tun.Events() {
		if ev&tun.EventMTUUpdate != 0 {
			if mtu, err := d.tun.MTU(); err == nil && mtu > 0 {
				d.mtu.Store(int32(mtu))
			}
		}
		if ev&tun.EventUp != 0 {
			if err := d.Up(); err != nil {
				d.log.Errorf("up: %v", err)
			}
		}
		if ev&tun.EventDown != 0 {
			d.Down()
		}
	}
}

// IsUp reports whether the device is up (sockets bound, peers running).
func (d *Device) IsUp() bool {
	d.state.Lock()
	defer d.state.Unlock()
	return d.state.up
}

// Up binds the sockets and starts every peer.
func (d *Device) Up() error {
	d.state.Lock()
	defer d.state.Unlock()
	if d.closed.Load() {
		return errors.New("device closed")
	}
	if d.state.up {
		return nil
	}
	if err := d.openBindLocked(d.state.listenPort, d.state.fwmark); err != nil {
		return err
	}
	d.state.up = true
	for _, p := range d.peerList() {
		p.start()
	}
	d.log.Verbosef("interface up, listening on port %d", d.state.boundPort)
	return nil
}

// Down closes the sockets and stops every peer, forgetting its sessions.
func (d *Device) Down() {
	d.state.Lock()
	defer d.state.Unlock()
	if !d.state.up {
		return
	}
	d.state.up = false
	d.closeBindLocked()
	for _, p := range d.peerList() {
		p.stop()
	}
	d.log.Verbosef("interface down")
}

// openBindLocked opens the bind on port with fwmark and starts its
// receivers. The caller holds d.state.
func (d *Device) openBindLocked(port uint16, fwmark uint32) error {
	fns, actual, err := d.bind.Open(port)
	if err != nil {
		return err
	}
	if fwmark != 0 {
		if err := d.bind.SetMark(fwmark); err != nil {
			d.bind.Close()
			return err
		}
	}
	d.state.boundPort = actual
	for _, fn := range fns {
		d.state.receivers.Add(1)
		go d.receive(fn)
	}
	return nil
}

func (d *Device) closeBindLocked() {
	d.bind.Close()
	d.state.receivers.Wait()
	d.state.boundPort = 0
}

// Close shuts the device down and releases the TUN and the bind.
func (d *Device) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.Down()
	d.state.Lock()
	for _, p := range d.peerList() {
		d.removePeer(p)
	}
	d.state.Unlock()
	close(d.done)
	err := d.tun.Close()
	d.bind.Close()
	d.workers.Wait()
	d.limiter.Close()
	return err
}

// Done is closed when the device has been closed, for example because
// reading the TUN failed when the interface was deleted.
func (d *Device) Done() <-chan struct{} { return d.done }

func (d *Device) lookupPeer(k key) *Peer {
	d.peers.mu.RLock()
	defer d.peers.mu.RUnlock()
	return d.peers.byKey[k]
}

func (d *Device) peerList() []*Peer {
	d.peers.mu.RLock()
	defer d.peers.mu.RUnlock()
	ps := make([]*Peer, 0, len(d.peers.byKey))
	for _, p := range d.peers.byKey {
		ps = append(ps, p)
	}
	return ps
}

func (d *Device) routeTo(ip netip.Addr) *Peer {
	d.allowedIPs.mu.RLock()
	p, _ := d.allowedIPs.table.Lookup(ip)
	d.allowedIPs.mu.RUnlock()
	return p
}

// underLoad reports whether handshakes must carry a valid cookie
// (protocol.md §9.1).
func (d *Device) underLoad(now time.Time) bool {
	if d.forceUnderLoad.Load() {
		return true
	}
	if len(d.queue.handshake) >= loadThreshold {
		d.underLoadTill.Store(now.Add(underLoadFor).UnixNano())
		return true
	}
	return now.UnixNano() < d.underLoadTill.Load()
}
