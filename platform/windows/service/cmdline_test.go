package service

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// splitCommandLine parses a command line as CommandLineToArgvW does
// (documented rules, including the program-name special case): used to
// check that CommandLine round-trips.
func splitCommandLine(s string) []string {
	var args []string
	// Program name: up to the next blank, or quoted up to the next quote;
	// backslashes are literal.
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return []string{s[1:]}
		}
		args = append(args, s[1:1+end])
		s = s[2+end:]
	} else {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			return []string{s}
		}
		args = append(args, s[:end])
		s = s[end:]
	}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return args
		}
		var b strings.Builder
		inQuotes := false
		for s != "" {
			c := s[0]
			if c == '\\' {
				n := len(s) - len(strings.TrimLeft(s, `\`))
				if n < len(s) && s[n] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						b.WriteByte('"')
						s = s[n+1:]
					} else {
						s = s[n:]
					}
					continue
				}
				b.WriteString(s[:n])
				s = s[n:]
				continue
			}
			if c == '"' {
				if inQuotes && len(s) > 1 && s[1] == '"' {
					b.WriteByte('"') // "" inside quotes is a literal quote
					s = s[2:]
					continue
				}
				inQuotes = !inQuotes
				s = s[1:]
				continue
			}
			if !inQuotes && (c == ' ' || c == '\t') {
				break
			}
			b.WriteByte(c)
			s = s[1:]
		}
		args = append(args, b.String())
	}
}

func TestQuoteArg(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, `""`},
		{`wg0`, `wg0`},
		{`/tunnelservice`, `/tunnelservice`},
		{`C:\Program Files\wgshim\wg0.conf`, `"C:\Program Files\wgshim\wg0.conf"`},
		{`C:\dir\`, `C:\dir\`},
		{`C:\my dir\`, `"C:\my dir\\"`},
		{`say "hi"`, `"say \"hi\""`},
		{`a\"b`, `"a\\\"b"`},
		{"tab\there", "\"tab\there\""},
	}
	for _, tt := range tests {
		if got := QuoteArg(tt.in); got != tt.want {
			t.Errorf("QuoteArg(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		want    string
		wantErr string
	}{
		{
			name: "spaces in exe and config",
			spec: Spec{Tunnel: "wg0", Exe: `C:\Program Files\wgshim\wgshim.exe`, Args: []string{"/tunnelservice", `C:\Program Files\wgshim\Data\wg0.conf`}},
			want: `"C:\Program Files\wgshim\wgshim.exe" /tunnelservice "C:\Program Files\wgshim\Data\wg0.conf"`,
		},
		{
			name: "plain",
			spec: Spec{Tunnel: "wg0", Exe: `C:\wgshim\wgshim.exe`, Args: []string{"/tunnelservice", `C:\wgshim\wg0.conf`}},
			want: `C:\wgshim\wgshim.exe /tunnelservice C:\wgshim\wg0.conf`,
		},
		{name: "empty exe", spec: Spec{Exe: ""}, wantErr: "invalid executable"},
		{name: "quote in exe", spec: Spec{Exe: `C:\a"b.exe`}, wantErr: "invalid executable"},
		{name: "nul arg", spec: Spec{Exe: `C:\a.exe`, Args: []string{"a\x00"}}, wantErr: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.CommandLine()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CommandLine = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CommandLine = %q, %v; want %q", got, err, tt.want)
			}
			back := splitCommandLine(got)
			if diff := cmp.Diff(append([]string{tt.spec.Exe}, tt.spec.Args...), back); diff != "" {
				t.Errorf("parsed back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "wg0", want: `WgshimTunnel$wg0`},
		{in: "office vpn", want: `WgshimTunnel$office vpn`},
		{in: "", wantErr: "empty"},
		{in: `a\b`, wantErr: "backslash"},
		{in: strings.Repeat("x", 250), wantErr: "too long"},
	}
	for _, tt := range tests {
		got, err := Name(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Name(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Name(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzCommandLine: any arguments survive CommandLine and the
// CommandLineToArgvW rules unchanged.
func FuzzCommandLine(f *testing.F) {
	f.Add(`C:\a b\x.exe`, `say "hi"`, `C:\dir\`)
	f.Add(`x.exe`, ``, `\\"\`)
	f.Fuzz(func(t *testing.T, exe, a1, a2 string) {
		if !utf8.ValidString(a1 + a2) {
			return
		}
		s := Spec{Exe: exe, Args: []string{a1, a2}}
		line, err := s.CommandLine()
		if err != nil {
			return
		}
		got := splitCommandLine(line)
		if diff := cmp.Diff(append([]string{exe}, s.Args...), got); diff != "" {
			// The program name cannot carry leading blanks or be
			// empty; those specs are not valid paths anyway.
			if strings.TrimLeft(exe, " \t") != exe {
				return
			}
			t.Fatalf("%q parsed back (-want +got):\n%s", line, diff)
		}
	})
}
