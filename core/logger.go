package core

import (
	"fmt"
	"io"
	"log"
)

// Logger receives the device's diagnostics. Either function may be nil.
// Messages never contain private or preshared keys.
type Logger struct {
	Verbosef func(format string, args ...any)
	Errorf   func(format string, args ...any)
}

// Log levels, as LOG_LEVEL spells them.
const (
	LogSilent = iota
	LogError
	LogVerbose
)

// DiscardLogger logs nothing.
var DiscardLogger = &Logger{Verbosef: discard, Errorf: discard}

func discard(string, ...any) {}

// NewLogger logs to w at level, prefixing lines the way wireguard-go does:
// "ERROR: (wg0) 2006/01/02 15:04:05 message".
func NewLogger(w io.Writer, level int, prepend string) *Logger {
	l := &Logger{Verbosef: discard, Errorf: discard}
	logf := func(prefix string) func(string, ...any) {
		lg := log.New(w, prefix+": "+prepend, log.Ldate|log.Ltime)
		return func(format string, args ...any) { lg.Output(2, fmt.Sprintf(format, args...)) }
	}
	if level >= LogVerbose {
		l.Verbosef = logf("DEBUG")
	}
	if level >= LogError {
		l.Errorf = logf("ERROR")
	}
	return l
}
