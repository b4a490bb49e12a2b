package wgio

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// getKernel answers SIOCGWG as wg_ioctl_get does: a root caller with a
// short buffer gets the needed size and nothing copied; a non-root
// caller gets the 80-byte interface struct only.
type getKernel struct {
	reply  []byte // what a root caller would get in full
	root   bool
	grow   [][]byte // replies that replace reply after each call, in order
	calls  int
	sizes  []uintptr // wgd_size as passed in
	errno  error
	copied int
}

func (k *getKernel) ioctl(req uintptr, io *DataIO) error {
	if req != SIOCGWG {
		return syscall.ENOTTY
	}
	k.calls++
	k.sizes = append(k.sizes, io.Size)
	if k.errno != nil {
		return k.errno
	}
	need := uintptr(80)
	if k.root {
		need = uintptr(len(k.reply))
	}
	if io.Size >= need {
		if io.Interface == nil {
			return syscall.EFAULT
		}
		copy(unsafe.Slice(io.Interface, io.Size), k.reply[:need])
		k.copied++
	}
	io.Size = need
	if len(k.grow) > 0 {
		k.reply, k.grow = k.grow[0], k.grow[1:]
	}
	return nil
}

func TestGet(t *testing.T) {
	small := bytes.Repeat([]byte{0xaa}, 80+144)
	big := bytes.Repeat([]byte{0xbb}, 80+144*20+24*50)
	huge := bytes.Repeat([]byte{0xcc}, 80+144*40)
	tests := []struct {
		name      string
		k         *getKernel
		want      []byte
		wantCalls int
		wantErr   string
	}{
		{"root", &getKernel{reply: small, root: true}, small, 2, ""},
		{"non-root", &getKernel{reply: small}, small[:80], 2, ""},
		{"grows-once", &getKernel{reply: small, root: true, grow: [][]byte{big}}, big, 3, ""},
		{"grows-within-slack", &getKernel{reply: big, root: true, grow: [][]byte{big[:len(big)-24]}}, big[:len(big)-24], 2, ""},
		{"keeps-growing", &getKernel{reply: small, root: true, grow: [][]byte{big, huge, append(huge, huge...), bytes.Repeat(huge, 3), bytes.Repeat(huge, 4), bytes.Repeat(huge, 5), bytes.Repeat(huge, 6), bytes.Repeat(huge, 7)}}, nil, 8, "kept growing"},
		{"errno", &getKernel{errno: syscall.ENXIO}, nil, 1, syscall.ENXIO.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Get(tt.k.ioctl, "wg0")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
			}
			if tt.k.calls != tt.wantCalls {
				t.Errorf("%d ioctls, want %d", tt.k.calls, tt.wantCalls)
			}
			if tt.k.sizes[0] != 0 {
				t.Errorf("first wgd_size = %d, want 0 (size query)", tt.k.sizes[0])
			}
		})
	}
	if _, err := Get((&getKernel{}).ioctl, "wg0-much-too-long"); err == nil {
		t.Error("17-byte name accepted")
	}
	short := func(req uintptr, io *DataIO) error { io.Size = 40; return nil }
	if _, err := Get(short, "wg0"); err == nil || !strings.Contains(err.Error(), "40-byte reply") {
		t.Errorf("40-byte reply: err = %v", err)
	}
}

func TestSet(t *testing.T) {
	buf := make([]byte, 80+208)
	buf[0] = 0x10
	var seen DataIO
	var data []byte
	ioctl := func(req uintptr, io *DataIO) error {
		if req != SIOCSWG {
			return syscall.ENOTTY
		}
		seen = *io
		data = append([]byte(nil), unsafe.Slice(io.Interface, io.Size)...)
		return nil
	}
	if err := Set(ioctl, "wg12", buf); err != nil {
		t.Fatal(err)
	}
	if string(bytes.TrimRight(seen.Name[:], "\x00")) != "wg12" || seen.Size != uintptr(len(buf)) || !bytes.Equal(data, buf) {
		t.Errorf("ioctl saw name %q size %d", seen.Name, seen.Size)
	}
	fail := func(uintptr, *DataIO) error { return syscall.EPERM }
	if err := Set(fail, "wg0", buf); !errors.Is(err, syscall.EPERM) {
		t.Errorf("err = %v, want EPERM", err)
	}
	if err := Set(ioctl, "wg0", buf[:79]); err == nil {
		t.Error("short request accepted")
	}
	if err := Set(ioctl, "", buf); err == nil {
		t.Error("empty name accepted")
	}
}

func TestIoctlNumbers(t *testing.T) {
	// _IOWR('i', 210/211, struct wg_data_io) with the size of this
	// platform's DataIO; on LP64 the spec's values.
	if unsafe.Sizeof(DataIO{}) == 32 && (SIOCSWG != 0xc02069d2 || SIOCGWG != 0xc02069d3) {
		t.Errorf("SIOCSWG %#x SIOCGWG %#x", SIOCSWG, SIOCGWG)
	}
}

func TestLayoutForRelease(t *testing.T) {
	tests := []struct {
		in      string
		want    Layout
		wantErr string
	}{
		{"6.8", LayoutPre74, ""},
		{"6.9", LayoutPre74, ""},
		{"7.0", LayoutPre74, ""},
		{"7.3", LayoutPre74, ""},
		{"7.4", Layout74, ""},
		{"7.5", Layout74, ""},
		{"7.10", Layout74, ""},
		{"8.0", Layout74, ""},
		{"7.4-beta", Layout74, ""},
		{" 7.6\n", Layout74, ""},
		{"6.7", 0, "first shipped in OpenBSD 6.8"},
		{"5.9", 0, "first shipped"},
		{"", 0, "want MAJOR.MINOR"},
		{"7", 0, "want MAJOR.MINOR"},
		{"7.", 0, "want MAJOR.MINOR"},
		{"x.4", 0, "want MAJOR.MINOR"},
		{"-7.4", 0, "want MAJOR.MINOR"},
		{"7.4.1", 0, "want MAJOR.MINOR"},
		{"+7.4", 0, "want MAJOR.MINOR"},
		{"99999.1", 0, "want MAJOR.MINOR"},
	}
	for _, tt := range tests {
		got, err := LayoutForRelease(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := LayoutForRelease("6.7"); !errors.Is(err, ErrNoWG) {
		t.Errorf("6.7: %v does not wrap ErrNoWG", err)
	}
}
