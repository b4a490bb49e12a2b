package wg

import (
	"net/netip"
	"strconv"
	"strings"
)

// Terminal escape sequences used by the pretty output (terminal.h).
const (
	termReset  = "\x1b[0m"
	termBold   = "\x1b[1m"
	termRed    = "\x1b[31m"
	termGreen  = "\x1b[32m"
	termYellow = "\x1b[33m"
	termCyan   = "\x1b[36m"
)

// stripANSI removes every "ESC [ ... letter" sequence, as terminal.c does
// when colour is off, so the text is otherwise identical.
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b[") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && !isAlpha(s[j]) {
				j++
			}
			i = j // skip the final letter too
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isSpace is wireguard-tools' char_is_space: ' ' and \t \n \v \f \r.
func isSpace(c byte) bool { return c == ' ' || c-'\t' < 5 }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// prettyTime appends "1 hour, 2 minutes, 5 seconds" (years of 365 days,
// days, hours, minutes, seconds; zero components left out) with the units
// in cyan. It appends nothing for 0.
func prettyTime(b []byte, left uint64) []byte {
	const day = 24 * 60 * 60
	parts := [...]struct {
		n    uint64
		unit string
	}{
		{left / (365 * day), "year"},
		{left % (365 * day) / day, "day"},
		{left % day / 3600, "hour"},
		{left % 3600 / 60, "minute"},
		{left % 60, "second"},
	}
	first := true
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = strconv.AppendUint(b, p.n, 10)
		b = append(b, ' ')
		b = append(b, termCyan...)
		b = append(b, p.unit...)
		if p.n != 1 {
			b = append(b, 's')
		}
		b = append(b, termReset...)
	}
	return b
}

// ago is the "latest handshake" phrase for a handshake at Unix second t
// seen at second now.
func ago(now, t int64) string {
	switch {
	case now == t:
		return "Now"
	case now < t:
		return "(" + termRed + "System clock wound backward; connection problems may ensue." + termReset + ")"
	}
	return string(prettyTime(nil, uint64(now-t))) + " ago"
}

// every is the "persistent keepalive" phrase.
func every(seconds uint16) string {
	return string(prettyTime([]byte("every "), uint64(seconds)))
}

// byteCount is the "transfer" amount: "<n> B" below 1 KiB, else two
// decimals of KiB, MiB, GiB or TiB (printf's %.2f rounding).
func byteCount(n uint64) string {
	const k = 1024
	var v float64
	var unit string
	switch {
	case n < k:
		return strconv.FormatUint(n, 10) + " " + termCyan + "B" + termReset
	case n < k*k:
		v, unit = float64(n)/k, "KiB"
	case n < k*k*k:
		v, unit = float64(n)/(k*k), "MiB"
	case n < k*k*k*k:
		v, unit = float64(n)/(k*k*k), "GiB"
	default:
		v, unit = float64(n)/(k*k*k)/k, "TiB"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + termCyan + unit + termReset
}

// formatAddr prints an address as inet_ntop(3) does (glibc): like
// netip.Addr.String, except that an IPv6 address whose first 96 bits are
// zero and whose 7th group is not is printed with an embedded IPv4
// address ("::1.2.3.4"), and a zone is kept ("%eth0", as getnameinfo
// prints it).
func formatAddr(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		zero := true
		for _, x := range b[:12] {
			zero = zero && x == 0
		}
		if zero && b[12]|b[13] != 0 {
			s := "::" + netip.AddrFrom4([4]byte(b[12:])).String()
			if z := a.Zone(); z != "" {
				s += "%" + z
			}
			return s
		}
	}
	return a.String()
}

// formatEndpoint prints host:port, bracketing IPv6 hosts.
func formatEndpoint(ap netip.AddrPort) string {
	host := formatAddr(ap.Addr())
	port := strconv.Itoa(int(ap.Port()))
	if ap.Addr().Is6() {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// formatPrefix prints ip/cidr; sep is what goes between them (a coloured
// slash in the pretty output).
func formatPrefix(p netip.Prefix, sep string) string {
	return formatAddr(p.Addr()) + sep + strconv.Itoa(p.Bits())
}
