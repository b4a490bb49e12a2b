package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// complete loads a completion file in a fresh bash, with a fake wg first in
// PATH, completes line (the cursor at its end; a trailing space starts a
// new word) in dir, and returns the sorted candidates.
func complete(t *testing.T, bash, file, dir, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") || line == "" {
		words = append(words, "")
	}
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	fn := map[string]string{"wg": "_wgshim_wg", "wg-quick": "_wgshim_wgquick"}[filepath.Base(file)]
	script := `set -u
source "$1" || exit 1
COMP_WORDS=(` + strings.Join(quoted, " ") + `)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
` + fn + ` "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"`
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script, "bash", abs)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Join(dir, "fakebin")+":"+os.Getenv("PATH"),
		"WGSHIM_COMPLETION_CONFIG_DIRS="+filepath.Join(dir, "etc1")+" "+filepath.Join(dir, "etc2"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("completing %q: %v\n%s", line, err, out)
	}
	var got []string
	for _, s := range strings.Split(string(out), "\n") {
		if s != "" {
			got = append(got, s)
		}
	}
	sort.Strings(got)
	return got
}

// completionFixture makes a directory with a fake wg (two interfaces, two
// peers on wg0), two configuration directories and some local files.
func completionFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"fakebin/wg": `#!/bin/sh
case "$*" in
"show interfaces") echo "wg0 tun9" ;;
"show wg0 peers") printf 'P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ=\nXXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4=\n' ;;
*) exit 1 ;;
esac
`,
		"etc1/wg0.conf":                       "",
		"etc1/office.toml":                    "",
		"etc1/README":                         "",
		"etc1/this-name-is-far-too-long.conf": "",
		"etc2/home.conf":                      "",
		"etc2/office.conf":                    "",
		"local/site.conf":                     "",
		"local/site.toml":                     "",
		"local/notes.txt":                     "",
		"local/sub/x.conf":                    "",
		"priv.key":                            "",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCompletion(t *testing.T) {
	bash := need(t, "bash")
	dir := completionFixture(t)
	tests := []struct {
		file, line string
		want       []string
	}{
		{"wg", "wg ", []string{"--help", "--version", "addconf", "genkey", "genpsk", "pubkey", "set", "setconf", "show", "showconf", "syncconf"}},
		{"wg", "wg s", []string{"set", "setconf", "show", "showconf", "syncconf"}},
		{"wg", "wg show ", []string{"all", "interfaces", "tun9", "wg0"}},
		{"wg", "wg show wg0 p", []string{"peers", "persistent-keepalive", "preshared-keys", "private-key", "public-key"}},
		{"wg", "wg show interfaces ", nil},
		{"wg", "wg show wg0 dump ", nil},
		{"wg", "wg showconf t", []string{"tun9"}},
		{"wg", "wg set ", []string{"tun9", "wg0"}},
		{"wg", "wg set wg0 ", []string{"fwmark", "listen-port", "peer", "private-key"}},
		{"wg", "wg set wg0 private-key pr", []string{"priv.key"}},
		{"wg", "wg set wg0 peer X", []string{"XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4="}},
		{"wg", "wg set wg0 listen-port 1 peer XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4= ", []string{"allowed-ips", "endpoint", "peer", "persistent-keepalive", "preshared-key", "remove"}},
		{"wg", "wg set wg0 peer K endpoint ", nil},
		{"wg", "wg syncconf wg0 local/site.c", []string{"local/site.conf"}},
		{"wg", "wg genkey ", nil},
		{"wg-quick", "wg-quick ", []string{"--dry-run", "convert", "down", "help", "save", "strip", "up"}},
		{"wg-quick", "wg-quick --dry-run ", []string{"down", "save", "up"}},
		{"wg-quick", "wg-quick --dry-run up h", []string{"home"}},
		{"wg-quick", "wg-quick --dry-run up home ", nil},
		{"wg-quick", "wg-quick up ", []string{"home", "office", "wg0"}},
		{"wg-quick", "wg-quick up o", []string{"office"}},
		{"wg-quick", "wg-quick down ", []string{"home", "office", "tun9", "wg0"}},
		{"wg-quick", "wg-quick strip local/", []string{"local/site.conf", "local/site.toml", "local/sub"}},
		{"wg-quick", "wg-quick up nothing-matches", nil},
		{"wg-quick", "wg-quick up wg0 ", nil},
		{"wg-quick", "wg-quick frobnicate ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := complete(t, bash, "completion/"+tt.file, dir, tt.line)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("complete %q (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// TestCompletionRegisters checks that sourcing a file registers its
// function for the command, which is all bash-completion's loader needs.
func TestCompletionRegisters(t *testing.T) {
	bash := need(t, "bash")
	for file, want := range map[string]string{
		"wg":       "complete -F _wgshim_wg wg",
		"wg-quick": "complete -F _wgshim_wgquick wg-quick",
	} {
		out, err := exec.Command(bash, "--norc", "--noprofile", "-c", `source "$1" && complete -p "$2"`, "bash", "completion/"+file, file).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%s: complete -p = %q (%v), want %q", file, out, err, want)
		}
	}
}
