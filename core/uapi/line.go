package uapi

import (
	"bufio"
	"encoding/hex"
	"errors"
	"io"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// maxLine bounds one protocol line. The longest valid line, an endpoint
// with an IPv6 address and a zone, is far shorter; wireguard-go's scanner
// allows 64 KiB, but nothing legitimate comes near 4 KiB.
const maxLine = 4096

// lineReader splits a stream into '\n'-terminated lines without copying
// them, except when a line is longer than the bufio.Reader's buffer.
type lineReader struct {
	r    *bufio.Reader
	long []byte // assembles lines longer than r's buffer
	n    int    // number of the last line returned, from 1
	eof  bool
}

// next returns the next line without its '\n'. At the end of the stream a
// final unterminated line is returned like any other (as wireguard-go's
// scanner does), then io.EOF. A line longer than maxLine is consumed whole
// and reported with tooLong. The line is only valid until the next call.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	if lr.eof {
		return nil, false, io.EOF
	}
	line, err = lr.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = lr.r.ReadSlice('\n')
			if len(lr.long) <= maxLine {
				lr.long = append(lr.long, line...)
			}
		}
		line = lr.long
	}
	switch {
	case err == io.EOF:
		lr.eof = true
		if len(line) == 0 {
			return nil, false, io.EOF
		}
	case err != nil:
		return nil, false, err
	default:
		line = line[:len(line)-1]
	}
	lr.n++
	if len(line) > maxLine {
		return nil, true, nil
	}
	return line, false, nil
}

// cut splits a line at its first '='.
func cut(line []byte) (key, value []byte, ok bool) {
	for i, c := range line {
		if c == '=' {
			return line[:i], line[i+1:], true
		}
	}
	return line, nil, false
}

var (
	errNotDecimal = errors.New("not a decimal number")
	errRange      = errors.New("out of range")
	errHexKey     = errors.New("not a 64-digit hex key")
)

// parseUint parses plain decimal digits (no sign, no spaces, leading zeros
// allowed, like strconv.ParseUint with base 10) up to max.
func parseUint(b []byte, max uint64) (uint64, error) {
	if len(b) == 0 {
		return 0, errNotDecimal
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errNotDecimal
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, errRange
		}
		v = v*10 + d
	}
	return v, nil
}

// parseHexKey decodes exactly 64 hex digits of either case.
func parseHexKey(b []byte) (wgtypes.Key, error) {
	var k wgtypes.Key
	if len(b) != 2*wgtypes.KeyLen {
		return k, errHexKey
	}
	if _, err := hex.Decode(k[:], b); err != nil {
		return wgtypes.Key{}, errHexKey
	}
	return k, nil
}
