// Package replay implements the anti-replay window every WireGuard keypair
// keeps for the counters of the transport messages it receives.
//
// The window is the sliding bitmap of RFC 6479: a ring of 8192 bits (128
// words of 64 bits), of which the 8128 counters at or below the greatest
// counter seen so far are tracked; anything older is refused. This is the
// size both the Linux driver (receive.c, counter_validate) and wireguard-go
// use; see the project's protocol specification, section 7.
//
// The package only remembers counters. It does not decrypt, so the caller
// must authenticate a message before recording its counter, otherwise
// forged packets could move the window. Filter is not safe for concurrent
// use; the engine guards it with the keypair's lock.
//
// It imports nothing from the project and may be imported by anything.
package replay
