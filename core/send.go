package core

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"

	"golang.org/x/crypto/chacha20poly1305"
)

// The transmit path (protocol.md §5.1): TUN -> route -> stage -> counter
// -> encrypt (in parallel) -> send (in order per peer).

var errNoEndpoint = errors.New("no known endpoint for peer")

// readTUN reads inner packets and hands each to the peer that routes its
// destination.
func (d *Device) readTUN() {
	defer d.workers.Done()
	size := max(d.tun.BatchSize(), 1)
	bufs := make([]*packetBuffer, size)
	raw := make([][]byte, size)
	sizes := make([]int, size)
	for i := range bufs {
		bufs[i] = getPacketBuffer()
		raw[i] = bufs[i].data[:]
	}
	touched := make([]*Peer, 0, size)
	for {
		n, err := d.tun.Read(raw, sizes, transportHeaderSize)
		for i := range n {
			pkt := raw[i][transportHeaderSize : transportHeaderSize+sizes[i]]
			dst, ok := destination(pkt)
			if !ok {
				d.stats.InvalidMessage.Add(1)
				continue
			}
			p := d.routeTo(dst)
			if p == nil {
				d.stats.NoRoute.Add(1)
				continue
			}
			if len(p.outPending) == 0 {
				touched = append(touched, p)
			}
			bufs[i].n = sizes[i]
			p.outPending = append(p.outPending, bufs[i])
			bufs[i] = getPacketBuffer()
			raw[i] = bufs[i].data[:]
		}
		for _, p := range touched {
			p.stage(p.outPending)
			clear(p.outPending)
			p.outPending = p.outPending[:0]
			p.sendStaged()
		}
		clear(touched)
		touched = touched[:0]
		if err != nil {
			if d.closed.Load() {
				return
			}
			if errors.Is(err, os.ErrClosed) || n == 0 {
				d.log.Errorf("read from TUN: %v; closing", err)
				go d.Close()
				return
			}
		}
	}
}

// destination returns the destination address of an IPv4 or IPv6 packet.
func destination(pkt []byte) (netip.Addr, bool) {
	if len(pkt) < 1 {
		return netip.Addr{}, false
	}
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < 20 {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4([4]byte(pkt[16:20])), true
	case 6:
		if len(pkt) < 40 {
			return netip.Addr{}, false
		}
		return netip.AddrFrom16([16]byte(pkt[24:40])), true
	}
	return netip.Addr{}, false
}

// usableForSending reports whether kp may encrypt new packets now.
func (d *Device) usableForSending(kp *keypair) bool {
	return kp != nil &&
		kp.sendCounter.Load() < RejectAfterMessages &&
		d.now().Sub(kp.created) < RejectAfterTime
}

// sendStaged encrypts and sends the staged packets if there is a usable
// session, and otherwise starts a handshake.
func (p *Peer) sendStaged() {
	if !p.running.Load() {
		return
	}
	d := p.device
	for {
		p.stagedMu.Lock()
		if len(p.staged) == 0 {
			p.stagedMu.Unlock()
			return
		}
		kp := p.keypairs.Current()
		if !d.usableForSending(kp) {
			p.stagedMu.Unlock()
			p.sendInitiation(false)
			return
		}
		b := getOutBatch(p, kp)
		taken := 0
		for _, pb := range p.staged {
			if taken == maxBatch {
				break
			}
			c := kp.sendCounter.Add(1) - 1
			if c >= RejectAfterMessages {
				kp.sendCounter.Store(RejectAfterMessages)
				break
			}
			b.bufs = append(b.bufs, pb)
			b.counters = append(b.counters, c)
			taken++
		}
		n := copy(p.staged, p.staged[taken:])
		clear(p.staged[n:])
		p.staged = p.staged[:n]
		if taken == 0 {
			p.stagedMu.Unlock()
			putOutBatch(b)
			continue // the key is exhausted; the next round handshakes
		}
		d.busy.Add(1)
		p.txq.push(b)
		p.stagedMu.Unlock()
		if d.queue.encryption == nil {
			d.encrypt(b)
			continue
		}
		select {
		case d.queue.encryption <- b:
		case <-d.done:
			return
		}
	}
}

// paddedLength is the plaintext length after padding an inner packet of n
// bytes for an interface of the given MTU (protocol.md §5.1).
func paddedLength(n, mtu int) int {
	const block = 16
	if mtu == 0 {
		return (n + block - 1) &^ (block - 1)
	}
	u := n
	if n > mtu {
		u = n % mtu
	}
	padded := min((u+block-1)&^(block-1), mtu)
	if padded < u {
		padded = u
	}
	return n + padded - u
}

func (d *Device) encryptionWorker() {
	defer d.workers.Done()
	for {
		select {
		case b := <-d.queue.encryption:
			d.encrypt(b)
		case <-d.done:
			return
		}
	}
}

// encrypt seals a batch and hands it to its peer's in-order transmit.
func (d *Device) encrypt(b *outBatch) {
	mtu := int(d.mtu.Load())
	for i, pb := range b.bufs {
		b.msgs = append(b.msgs, seal(pb.data[:], pb.n, b.keypair, b.counters[i], mtu, &b.nonce))
	}
	b.peer.txq.complete(b)
}

// seal turns the inner packet buf[transportHeaderSize:][:n] into a
// transport message in place and returns it.
func seal(buf []byte, n int, kp *keypair, counter uint64, mtu int, nonce *[chacha20poly1305.NonceSize]byte) []byte {
	padded := paddedLength(n, mtu)
	clear(buf[transportHeaderSize+n : transportHeaderSize+padded])
	binary.LittleEndian.PutUint32(buf[0:], msgTransport)
	binary.LittleEndian.PutUint32(buf[4:], kp.remoteIndex)
	binary.LittleEndian.PutUint64(buf[8:], counter)
	binary.LittleEndian.PutUint64(nonce[4:], counter)
	plain := buf[transportHeaderSize : transportHeaderSize+padded]
	kp.send.Seal(plain[:0], nonce[:], plain, nil)
	return buf[:transportHeaderSize+padded+tagSize]
}

// transmit sends an encrypted batch; it runs in the peer's order.
func (p *Peer) transmit(b *outBatch) {
	d := p.device
	defer d.busy.Add(-1)
	defer putOutBatch(b)
	if !p.running.Load() {
		return
	}
	ep := p.getEndpoint()
	if ep == nil {
		d.log.Verbosef("%v: %v", p, errNoEndpoint)
		return
	}
	p.timersTraversal()
	if err := d.bind.Send(b.msgs, 0, ep); err != nil {
		d.log.Verbosef("%v: send: %v", p, err)
		return
	}
	var bytes uint64
	data := false
	for i, m := range b.msgs {
		bytes += uint64(len(m))
		data = data || b.bufs[i].n > 0
	}
	p.txBytes.Add(bytes)
	p.timersAuthPacketSent()
	if data {
		p.timersDataSent()
	}
	p.keepKeyFreshSending()
}

// keepKeyFreshSending starts a rekey when the current session is old or
// has sent too much (protocol.md §8.3).
func (p *Peer) keepKeyFreshSending() {
	kp := p.keypairs.Current()
	if kp == nil {
		return
	}
	if kp.sendCounter.Load() > RekeyAfterMessages ||
		(kp.isInitiator && p.device.now().Sub(kp.created) > RekeyAfterTime) {
		p.sendInitiation(false)
	}
}
