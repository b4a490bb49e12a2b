// Package ratelimiter limits how many handshake messages per second the
// engine processes from one source address while it is under load.
//
// Each source gets a token bucket: 20 packets a second with a burst of 5,
// as in the Linux driver (drivers/net/wireguard/ratelimiter.c) and
// protocol.md §9.2. Like the kernel, and unlike wireguard-go, IPv6 sources
// are grouped by /64 (one host usually owns a whole /64) and a packet is
// allowed when the bucket holds exactly one packet's worth of tokens.
//
// The package only answers "allow this packet?". Deciding when the device is
// under load, and verifying mac2 before asking, is the caller's job. Time
// comes from a clock.Clock so tests can step it. No goroutine or timer is
// used: entries idle for more than a second are swept from Allow, at most
// once a second, so a burst's entries stay (at most MaxEntries of them)
// until the next Allow after the limiter was last busy, or until Close.
//
// It imports only core/clock and the standard library, and is meant for the
// core engine.
package ratelimiter
