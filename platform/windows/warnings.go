package windows

import (
	"fmt"
	"strconv"
	"strings"
)

// Keys are the wg-quick [Interface] values whose meaning Windows cannot
// honour, as written in the file (empty when absent).
type Keys struct {
	FwMark string
	Table  string
	// Hooks counts the PreUp, PostUp, PreDown and PostDown lines.
	PreUp, PostUp, PreDown, PostDown int
}

// Policy is what the user enabled.
type Policy struct {
	// Hooks allows running PreUp/PostUp/PreDown/PostDown commands.
	Hooks bool
}

// Warning is one key Windows does not honour and what happens instead.
type Warning struct {
	Key  string
	Text string
}

func (w Warning) String() string { return w.Key + ": " + w.Text }

// Warnings lists, in key order, the values of k that Windows ignores or
// treats differently, each with what happens instead. Nothing here is an
// error: the tunnel still comes up.
func Warnings(k Keys, p Policy) []Warning {
	var out []Warning
	if v := strings.TrimSpace(k.FwMark); v != "" && !fwmarkOff(v) {
		out = append(out, Warning{"FwMark", fmt.Sprintf("%q ignored: Windows has no packet marks; the tunnel's own UDP traffic is kept out of the tunnel by endpoint host routes instead", v)})
	}
	switch v := strings.TrimSpace(k.Table); strings.ToLower(v) {
	case "", "auto", "main", "off":
	default:
		out = append(out, Warning{"Table", fmt.Sprintf("%q ignored: Windows has one routing table; routes go to the main table as with Table = auto (use Table = off to add none)", v)})
	}
	for _, h := range []struct {
		key string
		n   int
	}{{"PreUp", k.PreUp}, {"PostUp", k.PostUp}, {"PreDown", k.PreDown}, {"PostDown", k.PostDown}} {
		if h.n == 0 {
			continue
		}
		if !p.Hooks {
			out = append(out, Warning{h.key, fmt.Sprintf("%s skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)", plural(h.n, "command"))})
			continue
		}
		out = append(out, Warning{h.key, fmt.Sprintf("%s run by cmd.exe, not bash: bash syntax will not work", plural(h.n, "command"))})
	}
	return out
}

// fwmarkOff reports a FwMark that means none: "off" or a number equal to 0
// (wg accepts decimal and 0x hex).
func fwmarkOff(v string) bool {
	if strings.EqualFold(v, "off") {
		return true
	}
	n, err := strconv.ParseUint(v, 0, 32)
	return err == nil && n == 0
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
