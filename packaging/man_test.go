package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// manMacros are the man(7) and basic troff requests the pages may use.
var manMacros = map[string]bool{
	"TH": true, "SH": true, "SS": true, "PP": true, "LP": true, "P": true, "TP": true, "IP": true,
	"HP": true, "RS": true, "RE": true, "B": true, "I": true, "BR": true, "BI": true, "IB": true,
	"RB": true, "IR": true, "RI": true, "SM": true, "SB": true, "nf": true, "fi": true, "br": true,
	"sp": true, "in": true, "ti": true, "ne": true, "ad": true, "na": true,
}

// troffEscape matches every escape sequence the pages may use.
var troffEscape = regexp.MustCompile(`\\(-|e|&|"|f[BIRP]|\([a-zA-Z]{2})`)

// checkTroff is the syntax check that needs no groff: known macros only,
// balanced .RS/.RE and .nf/.fi, known escapes, the sections every page
// must have, and a NAME line that whatis/apropos can parse.
func checkTroff(page, src string) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	rs, nf := 0, false
	var sections []string
	first := true
	for i, line := range lines {
		at := func(format string, args ...any) {
			errorf("%s:%d: "+format, append([]any{page, i + 1}, args...)...)
		}
		if strings.HasPrefix(line, `.\"`) {
			continue
		}
		if strings.HasPrefix(line, "'") {
			at("line starts with ' (a control character): escape it with \\&")
		}
		if strings.TrimSpace(line) == "" && !nf {
			at("blank line outside .nf (use .PP)")
		}
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			at("trailing white space")
		}
		rest := troffEscape.ReplaceAllString(line, "")
		if j := strings.IndexByte(rest, '\\'); j >= 0 {
			at("unknown escape %q", rest[j:min(j+3, len(rest))])
		}
		if !strings.HasPrefix(line, ".") {
			continue
		}
		if strings.Count(strings.ReplaceAll(line, `\"`, ""), `"`)%2 != 0 {
			at("unbalanced quotes in a macro line")
		}
		fields := strings.Fields(line[1:])
		if len(fields) == 0 {
			continue
		}
		m := fields[0]
		if !manMacros[m] {
			at("unknown macro .%s", m)
		}
		if first {
			if m != "TH" || len(fields) < 3 {
				at(".TH TITLE SECTION ... must come first")
			} else if want := strings.ToUpper(strings.TrimSuffix(page, ".8")); fields[1] != want || fields[2] != "8" {
				at(".TH %s %s, want %s 8", fields[1], fields[2], want)
			}
			first = false
		}
		switch m {
		case "RS":
			rs++
		case "RE":
			if rs--; rs < 0 {
				at(".RE without .RS")
			}
		case "nf":
			nf = true
		case "fi":
			if !nf {
				at(".fi without .nf")
			}
			nf = false
		case "SH":
			name := strings.Trim(strings.Join(fields[1:], " "), `"`)
			sections = append(sections, name)
			if name == "NAME" {
				if i+1 >= len(lines) || !regexp.MustCompile(`^[a-z][a-z\\-]* \\- \S`).MatchString(lines[i+1]) {
					at("NAME must be followed by 'name \\- description'")
				}
			}
		}
	}
	if rs != 0 {
		errorf("%s: %d .RS without .RE", page, rs)
	}
	if nf {
		errorf("%s: .nf without .fi", page)
	}
	for _, want := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"} {
		found := false
		for _, s := range sections {
			found = found || s == want
		}
		if !found {
			errorf("%s: no .SH %s (sections: %q)", page, want, sections)
		}
	}
	return problems
}

// render formats a page as plain ASCII text on very long lines without
// hyphenation, so tests can search it; ok is false without groff.
func render(t *testing.T, page string) (text string, ok bool) {
	t.Helper()
	groff, err := exec.LookPath("groff")
	if err != nil {
		return "", false
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(groff, "-man", "-Tascii", "-P-cbou", "-rHY=0", "-rLL=400n", "-ww", page)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff %s: %v\n%s", page, err, stderr.String())
	}
	return stdout.String(), true
}

// TestManPages checks every page with the troff check above, with groff's
// warnings and with man(1) when they are installed, and that each page
// documents what the brief and the code require.
func TestManPages(t *testing.T) {
	daemonEnv := regexp.MustCompile(`env\w+\s*=\s*"([A-Z_]+)"`).FindAllStringSubmatch(mustRead(t, filepath.Join(root, "daemon/daemon.go")), -1)
	if len(daemonEnv) == 0 {
		t.Fatal("no environment variables found in daemon/daemon.go (const envX = \"...\")")
	}
	keys := regexp.MustCompile(`(?m)^\s*\{"([A-Za-z]+)", sec`).FindAllStringSubmatch(mustRead(t, filepath.Join(root, "wg-quick/config/keys.go")), -1)
	if len(keys) < 15 {
		t.Fatalf("found %d keys in wg-quick/config/keys.go, want the whole key table", len(keys))
	}
	mustMention := map[string][]string{
		"wg.8": {"show", "showconf", "set", "setconf", "addconf", "syncconf", "genkey", "genpsk", "pubkey",
			"dump", "WG_COLOR_MODE", "WG_HIDE_KEYS", "WG_ENDPOINT_RESOLUTION_RETRIES", "/var/run/wireguard/",
			"[Interface]", "[Peer]", "EXIT STATUS"},
		"wg-quick.8": {"up", "down", "save", "strip", "convert", "[[Peer]]", "TOML",
			"WG_QUICK_USERSPACE_IMPLEMENTATION", "WG_ENDPOINT_RESOLUTION_RETRIES", "/etc/wireguard",
			"/usr/local/etc/wireguard", "/var/run/wireguard/", "wg-quick-INTERFACE", "51820",
			"wg syncconf wg0 <(wg-quick strip wg0)"},
		"wgshim.8": {"--foreground", "--version", "/var/run/wireguard/INTERFACE.sock", "SIGTERM"},
	}
	for _, k := range keys {
		mustMention["wg-quick.8"] = append(mustMention["wg-quick.8"], k[1])
	}
	for _, e := range daemonEnv {
		mustMention["wgshim.8"] = append(mustMention["wgshim.8"], e[1])
	}

	for _, page := range manPages {
		t.Run(page, func(t *testing.T) {
			path := filepath.Join(root, "docs/man", page)
			src := mustRead(t, path)
			for _, p := range checkTroff(page, src) {
				t.Error(p)
			}

			text, ok := render(t, path)
			if !ok {
				t.Log("groff not found: checked the troff source only")
				text = src
			}
			for _, w := range mustMention[page] {
				if !strings.Contains(text, w) {
					t.Errorf("%s does not mention %q", page, w)
				}
			}

			if man, err := exec.LookPath("man"); err == nil {
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(man, "--warnings", "-l", path)
				cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80", "LC_ALL=C.UTF-8")
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil || stderr.Len() > 0 {
					t.Errorf("man -l %s: %v\n%s", page, err, stderr.String())
				}
				// man formats to the terminal width; every line must fit.
				for i, line := range strings.Split(stdout.String(), "\n") {
					if n := len([]rune(line)); n > 80 {
						t.Errorf("man -l %s: output line %d is %d columns wide: %q", page, i+1, n, line)
					}
				}
			}
		})
	}
}

// TestCheckTroffCatches makes sure the fallback checker is not a no-op: it
// must reject the usual mistakes.
func TestCheckTroffCatches(t *testing.T) {
	good := ".TH WG 8\n.SH NAME\nwg \\- x\n.SH SYNOPSIS\n.SH DESCRIPTION\n.SH ENVIRONMENT\n.SH FILES\n.SH \"EXIT STATUS\"\n.SH \"SEE ALSO\"\n"
	tests := []struct {
		name, src string
		wantErr   bool
	}{
		{"good", good, false},
		{"unknown macro", good + ".XX foo\n", true},
		{"unbalanced RS", good + ".RS\n", true},
		{"bad escape", good + "a \\q b\n", true},
		{"blank line", good + "\nfoo\n", true},
		{"missing section", strings.Replace(good, ".SH FILES\n", "", 1), true},
		{"bad name line", strings.Replace(good, "wg \\- x", "wg - x", 1), true},
		{"wrong title", strings.Replace(good, ".TH WG 8", ".TH WGX 8", 1), true},
		{"stray quote", good + ".RB [ \" up \" ]\"\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := checkTroff("wg.8", tt.src)
			if (len(problems) > 0) != tt.wantErr {
				t.Errorf("checkTroff = %q, want errors: %v", problems, tt.wantErr)
			}
		})
	}
}
