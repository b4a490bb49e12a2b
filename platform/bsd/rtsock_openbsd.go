package bsd

import "encoding/binary"

// setTable puts the routing table in rtm_tableid (offset 8 of OpenBSD's
// rt_msghdr), which golang.org/x/net/route leaves 0.
func setTable(_ int, b []byte, table uint32) error {
	binary.NativeEndian.PutUint16(b[8:10], uint16(table))
	return nil
}
