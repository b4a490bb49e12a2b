package iphelper

import (
	"encoding/binary"
	"fmt"
)

// guidArgs returns the argument words that pass a 16-byte GUID by value to
// a stdcall/AAPCS function on goarch (spec windows.md §4.4): amd64 passes
// structs over 8 bytes by pointer (byPointer, no words); arm64 passes it in
// two 64-bit registers; 386 and arm push four 32-bit words. g is the GUID's
// memory image (little-endian fields).
func guidArgs(g [16]byte, goarch string) (words []uint64, byPointer bool, err error) {
	switch goarch {
	case "amd64":
		return nil, true, nil
	case "arm64":
		return []uint64{binary.LittleEndian.Uint64(g[0:8]), binary.LittleEndian.Uint64(g[8:16])}, false, nil
	case "386", "arm":
		w := make([]uint64, 4)
		for i := range w {
			w[i] = uint64(binary.LittleEndian.Uint32(g[4*i:]))
		}
		return w, false, nil
	}
	return nil, false, fmt.Errorf("iphelper: passing a GUID by value on %s is not known", goarch)
}

// dnsRegistryPath is the key the DNS fallback for Windows before 10 1809
// writes NameServer and SearchList to (spec windows.md §4.4).
func dnsRegistryPath(f Family, guid string) string {
	tcpip := `Tcpip`
	if f == IPv6 {
		tcpip = `Tcpip6`
	}
	return `SYSTEM\CurrentControlSet\Services\` + tcpip + `\Parameters\Interfaces\` + guid
}
