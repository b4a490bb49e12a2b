package core

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wgshim/wgshim/core/conn"
)

// The receive path (protocol.md §5.2): bind -> classify -> decrypt (in
// parallel) -> replay check, roaming, routing check (in order per peer) ->
// TUN. Handshake messages go to their own queue and workers.

type handshakeWork struct {
	msg [initiationSize]byte
	n   int
	ep  conn.Endpoint
}

// receive reads datagrams from one socket until the bind closes.
func (d *Device) receive(recv conn.ReceiveFunc) {
	defer d.state.receivers.Done()
	size := max(d.bind.BatchSize(), 1)
	bufs := make([]*packetBuffer, size)
	raw := make([][]byte, size)
	sizes := make([]int, size)
	eps := make([]conn.Endpoint, size)
	for i := range bufs {
		bufs[i] = getPacketBuffer()
		raw[i] = bufs[i].data[:]
	}
	batches := make([]*inBatch, 0, 4)
	for {
		n, err := recv(raw, sizes, eps)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || d.closed.Load() {
				return
			}
			d.log.Verbosef("receive: %v", err)
			time.Sleep(time.Millisecond) // do not spin on a persistent error
			continue
		}
		now := d.now()
		for i := range n {
			pkt := raw[i][:sizes[i]]
			if len(pkt) < minMessageSize {
				d.stats.InvalidMessage.Add(1)
				continue
			}
			switch messageType(pkt) {
			case msgTransport:
				e := d.indices.lookup(binary.LittleEndian.Uint32(pkt[4:]))
				kp := e.keypair
				if kp == nil || now.Sub(kp.created) >= RejectAfterTime {
					d.stats.InvalidMessage.Add(1)
					continue
				}
				var b *inBatch
				for _, ib := range batches {
					if ib.keypair == kp && len(ib.bufs) < maxBatch {
						b = ib
					}
				}
				if b == nil {
					b = getInBatch(kp)
					batches = append(batches, b)
				}
				bufs[i].n = len(pkt)
				b.bufs = append(b.bufs, bufs[i])
				b.counters = append(b.counters, binary.LittleEndian.Uint64(pkt[8:]))
				b.eps = append(b.eps, eps[i])
				b.ok = append(b.ok, false)
				bufs[i] = getPacketBuffer()
				raw[i] = bufs[i].data[:]
			case msgInitiation, msgResponse, msgCookieReply:
				t := messageType(pkt)
				if (t == msgInitiation && len(pkt) != initiationSize) ||
					(t == msgResponse && len(pkt) != responseSize) ||
					(t == msgCookieReply && len(pkt) != cookieReplySize) {
					d.stats.InvalidMessage.Add(1)
					continue
				}
				w := &handshakeWork{ep: eps[i]}
				w.n = copy(w.msg[:], pkt)
				d.busy.Add(1)
				select {
				case d.queue.handshake <- w:
				default:
					d.busy.Add(-1)
					d.stats.HandshakeDropped.Add(1)
				}
			default:
				d.stats.InvalidMessage.Add(1)
			}
		}
		clear(eps[:n])
		for _, b := range batches {
			d.busy.Add(1)
			b.peer.rxq.push(b)
			if d.queue.decryption == nil {
				d.decrypt(b)
				continue
			}
			select {
			case d.queue.decryption <- b:
			case <-d.done:
				return
			}
		}
		clear(batches)
		batches = batches[:0]
	}
}

func (d *Device) decryptionWorker() {
	defer d.workers.Done()
	for {
		select {
		case b := <-d.queue.decryption:
			d.decrypt(b)
		case <-d.done:
			return
		}
	}
}

// decrypt opens a batch and hands it to its peer's in-order receive.
func (d *Device) decrypt(b *inBatch) {
	for i, pb := range b.bufs {
		_, b.ok[i] = open(pb.data[:pb.n], b.keypair, &b.nonce)
	}
	b.peer.rxq.complete(b)
}

// open authenticates and decrypts the transport message msg in place and
// returns its plaintext. The replay check comes later, in order.
func open(msg []byte, kp *keypair, nonce *[chacha20poly1305.NonceSize]byte) ([]byte, bool) {
	counter := binary.LittleEndian.Uint64(msg[8:])
	binary.LittleEndian.PutUint64(nonce[4:], counter)
	body := msg[transportHeaderSize:]
	plain, err := kp.recv.Open(body[:0], nonce[:], body, nil)
	return plain, err == nil
}

// receiveBatch finishes a decrypted batch in the peer's order.
func (p *Peer) receiveBatch(b *inBatch) {
	d := p.device
	defer d.busy.Add(-1)
	defer putInBatch(b)
	kp := b.keypair
	var (
		valid, data, confirmed bool
		lastEp                 conn.Endpoint
		rx                     uint64
	)
	out := p.rxWrite[:0]
	for i, pb := range b.bufs {
		if !b.ok[i] {
			d.stats.DecryptFailed.Add(1)
			continue
		}
		if !kp.replay.ValidateCounter(b.counters[i], RejectAfterMessages) {
			d.stats.Replayed.Add(1)
			continue
		}
		if !valid {
			valid = true
			confirmed = p.keypairs.confirm(d, kp)
		}
		lastEp = b.eps[i]
		rx += uint64(pb.n)
		plain := pb.data[transportHeaderSize : pb.n-tagSize]
		if len(plain) == 0 {
			continue // keepalive
		}
		data = true
		n, src, ok := innerPacket(plain)
		if !ok {
			d.stats.InvalidMessage.Add(1)
			continue
		}
		if d.routeTo(src) != p {
			d.stats.SourceNotAllowed.Add(1)
			continue
		}
		out = append(out, pb.data[:transportHeaderSize+n])
	}
	if valid && p.running.Load() {
		if confirmed {
			p.timersHandshakeComplete()
		}
		if lastEp != nil {
			p.setEndpoint(lastEp)
		}
		p.keepKeyFreshReceiving()
		p.timersAuthPacketReceived()
		p.timersTraversal()
		p.rxBytes.Add(rx)
		if data {
			p.timersDataReceived()
		}
	}
	if len(out) > 0 {
		d.tunWrite.Lock()
		_, err := d.tun.Write(out, transportHeaderSize)
		d.tunWrite.Unlock()
		if err != nil && !d.closed.Load() {
			d.log.Errorf("write to TUN: %v", err)
		}
	}
	clear(out)
	p.rxWrite = out[:0]
	if confirmed {
		p.sendStaged()
	}
}

// innerPacket validates a decrypted IP packet and returns its length
// without padding and its source address.
func innerPacket(b []byte) (n int, src netip.Addr, ok bool) {
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return 0, src, false
		}
		n = int(binary.BigEndian.Uint16(b[2:]))
		if n < 20 || n > len(b) {
			return 0, src, false
		}
		return n, netip.AddrFrom4([4]byte(b[12:16])), true
	case 6:
		if len(b) < 40 {
			return 0, src, false
		}
		n = 40 + int(binary.BigEndian.Uint16(b[4:]))
		if n > len(b) {
			return 0, src, false
		}
		return n, netip.AddrFrom16([16]byte(b[8:24])), true
	}
	return 0, src, false
}

// keepKeyFreshReceiving rekeys shortly before an initiator's session would
// expire, once per session (protocol.md §8.3).
func (p *Peer) keepKeyFreshReceiving() {
	kp := p.keypairs.Current()
	if kp == nil || !kp.isInitiator {
		return
	}
	if p.device.now().Sub(kp.created) <= RejectAfterTime-KeepaliveTimeout-RekeyTimeout {
		return
	}
	p.timers.mu.Lock()
	if p.timers.sentLastMinuteHandshake {
		p.timers.mu.Unlock()
		return
	}
	p.timers.sentLastMinuteHandshake = true
	p.timers.mu.Unlock()
	p.sendInitiation(false)
}

func (d *Device) handshakeWorker() {
	defer d.workers.Done()
	for {
		var w *handshakeWork
		select {
		case w = <-d.queue.handshake:
		case <-d.done:
			return
		}
		d.handleHandshake(w.msg[:w.n], w.ep)
		d.busy.Add(-1)
	}
}

// handleHandshake processes one initiation, response or cookie reply
// (protocol.md §3 and §4.2).
func (d *Device) handleHandshake(msg []byte, ep conn.Endpoint) {
	now := d.now()
	t := messageType(msg)
	if t == msgCookieReply {
		e := d.indices.lookup(binary.LittleEndian.Uint32(msg[4:]))
		if e.peer == nil || !e.peer.cookies.consumeReply(msg, now) {
			d.stats.InvalidMessage.Add(1)
		}
		return
	}
	if !d.cookieChecker.checkMAC1(msg) {
		d.stats.InvalidMessage.Add(1)
		return
	}
	if d.underLoad(now) {
		src := ep.Dst()
		if !d.cookieChecker.checkMAC2(msg, src, now) {
			d.sendCookieReply(msg, ep, now)
			return
		}
		if !d.limiter.Allow(src.Addr()) {
			d.stats.HandshakeDropped.Add(1)
			return
		}
	}
	switch t {
	case msgInitiation:
		p := d.consumeInitiation(msg, now)
		if p == nil || !p.running.Load() {
			d.stats.InvalidMessage.Add(1)
			return
		}
		p.setEndpoint(ep)
		p.timersAuthPacketReceived()
		p.timersTraversal()
		p.rxBytes.Add(initiationSize)
		p.sendResponse()
	case msgResponse:
		p := d.consumeResponse(msg)
		if p == nil || !p.running.Load() {
			d.stats.InvalidMessage.Add(1)
			return
		}
		p.setEndpoint(ep)
		p.timersTraversal()
		p.timersAuthPacketReceived()
		p.rxBytes.Add(responseSize)
		if err := d.beginSession(p, now); err != nil {
			return
		}
		p.timersSessionDerived()
		p.timersHandshakeComplete()
		// Key confirmation for the responder: staged data, or a keepalive.
		p.sendKeepalive()
	}
}

func (d *Device) sendCookieReply(msg []byte, ep conn.Endpoint, now time.Time) {
	var reply [cookieReplySize]byte
	d.cookieChecker.createReply(&reply, msg, ep.Dst(), now, d.random)
	bufs := [1][]byte{reply[:]}
	if err := d.bind.Send(bufs[:], 0, ep); err != nil {
		d.log.Verbosef("send cookie reply to %v: %v", ep.Dst(), err)
	}
}
