package tundev

import "github.com/wgshim/wgshim/core/tun"

// ifMsg is the part of a routing message about an interface the device
// cares for.
type ifMsg struct {
	// Index is the interface the message is about.
	Index int
	// Info is RTM_IFINFO: Flags and MTU are valid.
	Info  bool
	Flags uint32
	MTU   int
	// Departure is RTM_IFANNOUNCE with IFAN_DEPARTURE.
	Departure bool
}

const iffUp = 0x1

// linkState is what the device last reported.
type linkState struct {
	index int
	up    bool
	mtu   int
}

// update applies m and returns the events to report, and whether the
// interface announced its departure.
func (s *linkState) update(m ifMsg) (evs []tun.Event, departed bool) {
	if m.Index != s.index {
		return nil, false
	}
	if m.Departure {
		return nil, true
	}
	if !m.Info {
		return nil, false
	}
	if up := m.Flags&iffUp != 0; up != s.up {
		s.up = up
		if up {
			evs = append(evs, tun.EventUp)
		} else {
			evs = append(evs, tun.EventDown)
		}
	}
	if m.MTU > 0 && m.MTU != s.mtu {
		s.mtu = m.MTU
		evs = append(evs, tun.EventMTUUpdate)
	}
	return evs, false
}
