package ifwg

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func TestIoctlNumbers(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("values below are for LP64")
	}
	// spec §2.2, cross-checked there with wgctrl-go defs_freebsd_amd64.go.
	if SIOCSWG != 0xc02069d2 || SIOCGWG != 0xc02069d3 {
		t.Errorf("SIOCSWG %#x SIOCGWG %#x", SIOCSWG, SIOCGWG)
	}
	if unsafe.Sizeof(DataIO{}) != 32 || unsafe.Offsetof(DataIO{}.Data) != 16 || unsafe.Offsetof(DataIO{}.Size) != 24 {
		t.Error("struct wg_data_io layout")
	}
}

func TestGetPackedNegotiation(t *testing.T) {
	k := &fakeKernel{name: "wg0", port: 51820}
	b, err := GetPacked(k.ioctl, "wg0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParsePacked(b)
	if err != nil || d.ListenPort != 51820 {
		t.Fatalf("reply %v, %v", d, err)
	}
	if k.gets != 2 {
		t.Errorf("%d ioctls, want 2 (size, then data)", k.gets)
	}

	// Peers added between the size query and the copy: ENOSPC, start over.
	k = &fakeKernel{name: "wg0", getGrowth: 3}
	b, err = GetPacked(k.ioctl, "wg0")
	if err != nil {
		t.Fatal(err)
	}
	d, err = ParsePacked(b)
	if err != nil || len(d.Peers) < 3 {
		t.Fatalf("reply after growth: %d peers, %v", len(d.Peers), err)
	}
	if k.gets < 4 {
		t.Errorf("%d ioctls: ENOSPC was not retried", k.gets)
	}

	tests := []struct {
		name  string
		ioctl IoctlFunc
		iface string
		want  string
	}{
		{"name too long", k.ioctl, "0123456789abcdef", `interface name "0123456789abcdef": must be 1-15 bytes`},
		{"empty name", k.ioctl, "", "must be 1-15 bytes"},
		{"errno", func(uintptr, *DataIO) error { return syscall.ENXIO }, "wg0", syscall.ENXIO.Error()},
		{"zero size", func(uintptr, *DataIO) error { return nil }, "wg0", "0-byte reply"},
		{"always growing", func(_ uintptr, io *DataIO) error {
			if io.Size == 0 {
				io.Size = 100
				return nil
			}
			return syscall.ENOSPC
		}, "wg0", "reply kept growing"},
		{"lying size", func(_ uintptr, io *DataIO) error {
			if io.Size == 0 {
				io.Size = 100
			} else {
				io.Size = 1000
			}
			return nil
		}, "wg0", "kernel reported 1000 bytes in a 112-byte buffer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GetPacked(tt.ioctl, tt.iface)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSetPacked(t *testing.T) {
	var gotSize uintptr
	var gotName string
	ioctl := func(req uintptr, io *DataIO) error {
		if req != SIOCSWG {
			return errors.New("wrong request")
		}
		gotSize = io.Size
		gotName = string(io.Name[:3])
		return nil
	}
	if err := SetPacked(ioctl, "wg0", make([]byte, 57)); err != nil {
		t.Fatal(err)
	}
	if gotSize != 57 || gotName != "wg0" {
		t.Errorf("size %d name %q", gotSize, gotName)
	}
	if err := SetPacked(ioctl, "wg0", nil); err == nil {
		t.Error("empty request accepted")
	}
}
