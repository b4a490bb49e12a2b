package core

import (
	"testing"
	"time"
)

// ForceUnderLoad makes d demand cookies from every handshake (tests).
func ForceUnderLoad(d *Device, on bool) { d.forceUnderLoad.Store(on) }

// SetReferenceHandshakes installs the wireguard-go measurement used by
// BenchmarkHandshake (see interop_test.go, which may import wireguard-go).
func SetReferenceHandshakes(f func(b *testing.B) func(i, n int) time.Duration) {
	wireguardGoHandshakes = f
}
