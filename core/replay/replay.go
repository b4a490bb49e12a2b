package replay

// RejectAfterMessages is the number of transport messages after which a
// keypair must no longer be used: 2^64 - 2^13 - 1, the value of the
// whitepaper and wireguard-go. (The Linux driver uses 2^64 - 8130; either is
// "never" in practice.) Counters at or above it are always refused.
const RejectAfterMessages uint64 = 1<<64 - 1<<13 - 1

const (
	wordBits  = 64
	wordShift = 6 // log2(wordBits)
	ringWords = 128
	ringMask  = ringWords - 1

	// WindowSize is how far behind the greatest accepted counter a counter
	// may be and still be accepted. One word of the ring is sacrificed so
	// that advancing the window only ever has to clear whole words.
	WindowSize = (ringWords - 1) * wordBits // 8128
)

// Filter is the replay window of one receiving keypair. The zero value is
// an empty window, ready to use: counter 0 is accepted once.
//
// A Filter must not be copied after first use if the copy is meant to
// share history, and is not safe for concurrent use.
type Filter struct {
	last uint64 // greatest counter accepted so far (0 when none yet)
	ring [ringWords]uint64
}

// Reset empties the window, as for a fresh keypair.
func (f *Filter) Reset() {
	f.last = 0
	clear(f.ring[:])
}

// ValidateCounter reports whether counter is new and within the window, and
// if so records it, so that the same counter is refused next time.
// Counters at or above limit are refused without being recorded; the engine
// passes RejectAfterMessages.
func (f *Filter) ValidateCounter(counter, limit uint64) bool {
	if counter >= limit {
		return false
	}
	word := counter >> wordShift
	if counter > f.last {
		// Slide the window forward: every word between the old head and
		// the new one now describes counters never seen, so zero it. A
		// jump of a whole ring or more wipes everything.
		head := f.last >> wordShift
		n := word - head
		if n > ringWords {
			n = ringWords
		}
		for i := uint64(1); i <= n; i++ {
			f.ring[(head+i)&ringMask] = 0
		}
		f.last = counter
	} else if f.last-counter > WindowSize {
		return false
	}
	bit := uint64(1) << (counter & (wordBits - 1))
	w := &f.ring[word&ringMask]
	if *w&bit != 0 {
		return false
	}
	*w |= bit
	return true
}
