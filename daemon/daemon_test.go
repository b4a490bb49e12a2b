package daemon

import (
	"bytes"
	"strings"
	"testing"
)

func runMain(args []string, env map[string]string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(Env{
		Args:   args,
		Getenv: func(k string) string { return env[k] },
		Stdout: &out,
		Stderr: &errb,
	})
	return code, out.String(), errb.String()
}

// wireguard-go prints its usage on stdout and exits 0 for bad arguments;
// scripts written against it may depend on that.
func TestUsageLikeWireguardGo(t *testing.T) {
	for _, args := range [][]string{
		{"wgshim"},
		{"wgshim", "-x", "wg0"},
		{"wgshim", "a", "b"},
		{"wgshim", "-f"},
	} {
		code, out, _ := runMain(args, nil)
		if code != 0 || out != "Usage: wgshim [-f/--foreground] INTERFACE-NAME\n" {
			t.Errorf("%q: exit %d, stdout %q", args, code, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runMain([]string{"wgshim", "--version"}, nil)
	if code != 0 || !strings.HasPrefix(out, "wgshim ") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]int{"": 1, "error": 1, "verbose": 2, "debug": 2, "silent": 0, "bogus": 1} {
		if got := logLevel(in); got != want {
			t.Errorf("logLevel(%q) = %d, want %d", in, got, want)
		}
	}
}

// A TUN that cannot be adopted is one clear line on stderr and exit 1.
func TestStartupErrorIsOneLine(t *testing.T) {
	code, _, stderr := runMain([]string{"wgshim", "-f", "wgtest0"}, map[string]string{"WG_TUN_FD": "notanumber", "WG_PROCESS_FOREGROUND": "1"})
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if lines := strings.Count(stderr, "\n"); lines != 1 || !strings.Contains(stderr, "WG_TUN_FD") {
		t.Fatalf("stderr %q: want one line naming WG_TUN_FD", stderr)
	}
}

func TestBadInterfaceNames(t *testing.T) {
	for _, name := range []string{"wg/a", "a-name-longer-than-15", "wg 0", ".."} {
		code, _, stderr := runMain([]string{"wgshim", "-f", name}, map[string]string{"WG_PROCESS_FOREGROUND": "1"})
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "invalid interface name") {
			t.Errorf("%q: exit %d, stderr %q", name, code, stderr)
		}
	}
}

func TestEnvFile(t *testing.T) {
	if _, err := envFile("WG_TUN_FD", "three", "/dev/tun"); err == nil || err.Error() != `WG_TUN_FD="three": not a file descriptor` {
		t.Errorf("envFile(three) = %v", err)
	}
	// A descriptor nobody has open: the file's finalizer must not close
	// one of ours.
	f, err := envFile("WG_UAPI_FD", "987654", "uapi")
	if err != nil || f.Fd() != 987654 || f.Name() != "uapi" {
		t.Fatalf("envFile(987654) = %v, %v", f, err)
	}
	f.Close()
}
