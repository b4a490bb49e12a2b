package tundev

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// GUID is a Windows GUID as laid out in memory (the GUID struct of
// guiddef.h): Data1..Data3 are native integers, Data4 is bytes.
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// String formats g as Windows does: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}.
func (g GUID) String() string {
	return fmt.Sprintf("{%08X-%04X-%04X-%02X-%X}", g.Data1, g.Data2, g.Data3, g.Data4[:2], g.Data4[2:])
}

// guidNamespace is the namespace UUID of adapter GUIDs. It is fixed: changing
// it gives every existing tunnel a new GUID and so a new network profile.
var guidNamespace = [16]byte{
	0x4b, 0xe7, 0x42, 0x78, 0xf3, 0x28, 0x4e, 0xaa,
	0xb7, 0x15, 0x61, 0xd1, 0x93, 0x35, 0xcc, 0xc2,
}

// AdapterGUID returns the GUID Create requests for the adapter called name:
// a version 5 (SHA-1, name-based) UUID (RFC 9562 §5.5) of the name in lower
// case. Windows compares adapter names without regard to case, so "WG0" and
// "wg0" name the same adapter and get the same GUID.
func AdapterGUID(name string) GUID {
	return guidFromUUID(uuidV5(guidNamespace, strings.ToLower(name)))
}

// uuidV5 is RFC 9562's name-based UUID with SHA-1, in network byte order.
func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // variant 10
	return u
}

// guidFromUUID maps the big-endian fields of a UUID to a GUID's integers,
// so that both print the same.
func guidFromUUID(u [16]byte) GUID {
	return GUID{
		Data1: binary.BigEndian.Uint32(u[0:4]),
		Data2: binary.BigEndian.Uint16(u[4:6]),
		Data3: binary.BigEndian.Uint16(u[6:8]),
		Data4: [8]byte(u[8:16]),
	}
}

// MaxNameLen is the longest adapter name Wintun accepts, in UTF-16 code
// units (WINTUN_MAX_ADAPTER_NAME 128 including the terminating NUL).
const MaxNameLen = 127

// CheckName reports whether name can name a Wintun adapter.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("tundev: empty interface name")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("tundev: interface name %q contains NUL", name)
	case len(utf16.Encode([]rune(name))) > MaxNameLen:
		return fmt.Errorf("tundev: interface name %q is longer than %d UTF-16 characters", name, MaxNameLen)
	}
	return nil
}
