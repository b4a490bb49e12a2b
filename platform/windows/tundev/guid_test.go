package tundev

import (
	"strings"
	"testing"
)

func TestUUIDv5(t *testing.T) {
	// RFC 9562 appendix A.4: the DNS namespace and "www.example.com".
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	got := guidFromUUID(uuidV5(dns, "www.example.com")).String()
	if want := "{2ED6657D-E927-568B-95E1-2665A8AEA6A2}"; got != want {
		t.Errorf("uuidV5 = %s, want %s", got, want)
	}
}

func TestAdapterGUID(t *testing.T) {
	tests := []struct {
		name, other string
		same        bool
	}{
		{name: "wg0", other: "wg0", same: true},
		{name: "wg0", other: "WG0", same: true},
		{name: "Büro", other: "BÜRO", same: true},
		{name: "wg0", other: "wg1"},
		{name: "wg0", other: "wg0 "},
		{name: "a", other: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.other, func(t *testing.T) {
			a, b := AdapterGUID(tt.name), AdapterGUID(tt.other)
			if (a == b) != tt.same {
				t.Errorf("AdapterGUID(%q) = %s, AdapterGUID(%q) = %s; want same=%v", tt.name, a, tt.other, b, tt.same)
			}
			// Version 5, RFC variant: the 13th hex digit is 5, the 17th is 8-b.
			s := a.String()
			if s[15] != '5' || !strings.ContainsRune("89AB", rune(s[20])) {
				t.Errorf("AdapterGUID(%q) = %s is not a version 5 RFC UUID", tt.name, s)
			}
		})
	}
}

func TestGUIDString(t *testing.T) {
	g := GUID{0x01020304, 0x0506, 0x0708, [8]byte{0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}}
	if got, want := g.String(), "{01020304-0506-0708-090A-0B0C0D0E0F10}"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "simple", in: "wg0"},
		{name: "spaces", in: "My Tunnel"},
		{name: "max", in: strings.Repeat("a", MaxNameLen)},
		{name: "max astral", in: strings.Repeat("😀", MaxNameLen/2)},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "nul", in: "wg\x000", wantErr: "NUL"},
		{name: "too long", in: strings.Repeat("a", MaxNameLen+1), wantErr: "longer than 127"},
		{name: "too long astral", in: strings.Repeat("😀", MaxNameLen/2+1), wantErr: "longer than 127"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckName(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckName(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckName(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzAdapterGUID(f *testing.F) {
	f.Add("wg0")
	f.Add("WG0")
	f.Fuzz(func(t *testing.T, name string) {
		g := AdapterGUID(name)
		if g != AdapterGUID(name) {
			t.Fatal("AdapterGUID is not deterministic")
		}
		if g.Data3>>12 != 5 || g.Data4[0]>>6 != 2 {
			t.Fatalf("AdapterGUID(%q) = %s: not a version 5 UUID", name, g)
		}
	})
}
