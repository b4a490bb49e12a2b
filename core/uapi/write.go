package uapi

import (
	"encoding/hex"
	"io"
	"net/netip"
	"strconv"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// lineWriter formats key=value lines into a buffer and hands it to w in
// chunks, so encoding a large device costs one buffer, not one allocation
// per line.
type lineWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const writeChunk = 4096

func newLineWriter(w io.Writer) *lineWriter {
	return &lineWriter{w: w, buf: make([]byte, 0, writeChunk+256)}
}

func (lw *lineWriter) end() {
	lw.buf = append(lw.buf, '\n')
	if len(lw.buf) >= writeChunk {
		lw.flush()
	}
}

func (lw *lineWriter) flush() error {
	if lw.err == nil && len(lw.buf) > 0 {
		_, lw.err = lw.w.Write(lw.buf)
	}
	lw.buf = lw.buf[:0]
	return lw.err
}

func (lw *lineWriter) str(key, value string) {
	lw.buf = append(append(append(lw.buf, key...), '='), value...)
	lw.end()
}

func (lw *lineWriter) key(key string, k wgtypes.Key) {
	lw.buf = hex.AppendEncode(append(append(lw.buf, key...), '='), k[:])
	lw.end()
}

func (lw *lineWriter) uint(key string, v uint64) {
	lw.buf = strconv.AppendUint(append(append(lw.buf, key...), '='), v, 10)
	lw.end()
}

func (lw *lineWriter) int(key string, v int64) {
	lw.buf = strconv.AppendInt(append(append(lw.buf, key...), '='), v, 10)
	lw.end()
}

func (lw *lineWriter) addrPort(key string, ap netip.AddrPort) {
	lw.buf = ap.AppendTo(append(append(lw.buf, key...), '='))
	lw.end()
}

// prefix writes keyEq (the key with '=' and any '-') and the masked prefix.
func (lw *lineWriter) prefix(keyEq string, pfx netip.Prefix) {
	lw.buf = pfx.Masked().AppendTo(append(lw.buf, keyEq...))
	lw.end()
}
