// Package tun defines the TUN device the engine reads inner packets from and
// writes them to. Platforms implement Device; tuntest has an in-memory one.
package tun

// Event is a change of the device's state reported through Events.
type Event int

const (
	EventUp Event = 1 << iota
	EventDown
	EventMTUUpdate
)

// Device is a layer-3 TUN device carrying raw IPv4 and IPv6 packets.
//
// Buffers: every packet lives at bufs[i][offset:]. The offset leaves headroom
// before the packet so the engine can encrypt in place and prepend the
// WireGuard header without copying, and so an implementation can place its
// own header (a virtio-net header on Linux) there. Implementations must not
// retain bufs after a call returns.
//
// Concurrency: Read is called from one goroutine and Write from one other;
// Close may be called at any time and makes pending and later calls fail.
type Device interface {
	// Read reads up to len(bufs) packets, storing each packet's length in
	// sizes. It returns the number of packets read. An implementation with
	// segmentation offload may split one large read into many packets.
	Read(bufs [][]byte, sizes []int, offset int) (n int, err error)

	// Write writes the packets bufs[i][offset:]. An implementation may
	// coalesce them; it may grow or reuse the headroom before offset.
	Write(bufs [][]byte, offset int) (n int, err error)

	// MTU returns the device's current MTU.
	MTU() (int, error)

	// Name returns the interface name the OS gave the device.
	Name() (string, error)

	// Events reports state changes; the channel is closed by Close.
	Events() <-chan Event

	// BatchSize is the largest number of packets Read returns and the
	// number of buffers Write handles efficiently in one call.
	BatchSize() int

	// Close releases the device. It is safe to call more than once.
	Close() error
}
