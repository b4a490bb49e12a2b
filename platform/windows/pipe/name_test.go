package pipe

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPath(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "simple", in: "wg0", want: `\\.\pipe\ProtectedPrefix\Administrators\WireGuard\wg0`},
		{name: "spaces", in: "My VPN", want: `\\.\pipe\ProtectedPrefix\Administrators\WireGuard\My VPN`},
		{name: "longest", in: strings.Repeat("a", maxPipeName-len(Prefix)), want: Dir + Prefix + strings.Repeat("a", maxPipeName-len(Prefix))},
		{name: "too long", in: strings.Repeat("a", maxPipeName-len(Prefix)+1), wantErr: "too long"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "backslash", in: `a\b`, wantErr: "backslash"},
		{name: "slash", in: "a/b", wantErr: "slash"},
		{name: "nul", in: "a\x00", wantErr: "NUL"},
		{name: "dot", in: ".", wantErr: "invalid"},
		{name: "dotdot", in: "..", wantErr: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Path(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Path(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Path(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "none", in: nil, want: nil},
		{
			name: "mixed",
			in: []string{
				`InitShutdown`, `lsass`,
				`ProtectedPrefix\Administrators\WireGuard\wg1`,
				`ProtectedPrefix\Administrators\WireGuard\wg0`,
				`ProtectedPrefix\Administrators\Other\x`,
				`ProtectedPrefix\Administrators\WireGuard\`,
				`ProtectedPrefix\Administrators\WireGuard`,
				`ProtectedPrefix\Administrators\WireGuard\a\b`,
			},
			want: []string{"wg0", "wg1"},
		},
		{
			name: "case and duplicates",
			in: []string{
				`protectedprefix\administrators\wireguard\Home`,
				`ProtectedPrefix\Administrators\WireGuard\Home`,
			},
			want: []string{"Home"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Names(tt.in)); diff != "" {
				t.Errorf("Names (-want +got):\n%s", diff)
			}
		})
	}
}

// sddlParts splits an SDDL string into owner, DACL and SACL.
func sddlParts(t *testing.T, s string) (owner, dacl, sacl string) {
	t.Helper()
	d := strings.Index(s, "D:")
	sa := strings.Index(s, "S:")
	if !strings.HasPrefix(s, "O:") || d < 0 || sa < d {
		t.Fatalf("%q: not O:..D:..S:..", s)
	}
	return s[2:d], s[d+2 : sa], s[sa+2:]
}

func TestSDDL(t *testing.T) {
	tests := []struct {
		sddl, owner string
	}{
		{SDDL, "SY"},
		{SDDLAdmin, "BA"},
	}
	for _, tt := range tests {
		owner, dacl, sacl := sddlParts(t, tt.sddl)
		if owner != tt.owner {
			t.Errorf("%q: owner %q, want %q", tt.sddl, owner, tt.owner)
		}
		// A protected DACL: no inherited ACEs can widen access.
		if !strings.HasPrefix(dacl, "P(") {
			t.Errorf("%q: DACL %q is not protected", tt.sddl, dacl)
		}
		aces := strings.Split(strings.Trim(dacl[1:], "()"), ")(")
		if diff := cmp.Diff([]string{"A;;GA;;;SY", "A;;GA;;;BA"}, aces); diff != "" {
			t.Errorf("%q: DACL entries (-want +got):\n%s", tt.sddl, diff)
		}
		// High integrity, no write/read/execute up: non-elevated
		// (medium integrity) processes cannot connect.
		if sacl != "(ML;;NWNRNX;;;HI)" {
			t.Errorf("%q: SACL %q, want the high mandatory label", tt.sddl, sacl)
		}
	}
}

func FuzzNames(f *testing.F) {
	f.Add(`ProtectedPrefix\Administrators\WireGuard\wg0`)
	f.Add(`ProtectedPrefix\Administrators\WireGuard\a\b`)
	f.Fuzz(func(t *testing.T, entry string) {
		for _, name := range Names([]string{entry}) {
			p, err := Path(name)
			if err != nil {
				t.Fatalf("Names gave %q that Path rejects: %v", name, err)
			}
			if got := Names([]string{strings.TrimPrefix(p, Dir)}); len(got) != 1 || got[0] != name {
				t.Fatalf("Names(Path(%q)) = %q", name, got)
			}
		}
	})
}
