package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// fakeStat answers from a set of existing paths.
func fakeStat(existing ...string) StatFunc {
	m := fstest.MapFS{}
	for _, p := range existing {
		m[p[1:]] = &fstest.MapFile{Mode: 0o600}
	}
	return func(p string) (fs.FileInfo, error) {
		if len(p) > 0 && p[0] == '/' {
			return fs.Stat(m, p[1:])
		}
		return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, arg, goos string
		existing        []string
		want, wantErr   string
	}{
		{"toml first", "wg0", "linux", []string{"/etc/wireguard/wg0.conf", "/etc/wireguard/wg0.toml"}, "/etc/wireguard/wg0.toml", ""},
		{"conf", "wg0", "linux", []string{"/etc/wireguard/wg0.conf"}, "/etc/wireguard/wg0.conf", ""},
		{"linux does not search /usr/local", "wg0", "linux", []string{"/usr/local/etc/wireguard/wg0.conf"}, "",
			"`/etc/wireguard/wg0.conf' does not exist (also tried /etc/wireguard/wg0.toml)"},
		{"freebsd /usr/local", "wg0", "freebsd", []string{"/usr/local/etc/wireguard/wg0.conf"}, "/usr/local/etc/wireguard/wg0.conf", ""},
		{"freebsd /etc first", "wg0", "freebsd", []string{"/usr/local/etc/wireguard/wg0.toml", "/etc/wireguard/wg0.conf"}, "/etc/wireguard/wg0.conf", ""},
		{"darwin none", "utun-x", "darwin", nil, "",
			"`/usr/local/etc/wireguard/utun-x.conf' does not exist (also tried /etc/wireguard/utun-x.toml, /etc/wireguard/utun-x.conf, /usr/local/etc/wireguard/utun-x.toml)"},
		{"openbsd", "wg0", "openbsd", []string{"/etc/wireguard/wg0.conf"}, "/etc/wireguard/wg0.conf", ""},
		{"path with slash", "/tmp/x/wg1.conf", "linux", []string{"/tmp/x/wg1.conf"}, "/tmp/x/wg1.conf", ""},
		{"missing path", "/tmp/x/wg1.conf", "linux", nil, "", "`/tmp/x/wg1.conf' does not exist"},
		{"name with extension is a path", "wg0.toml", "linux", nil, "", "`wg0.toml' does not exist"},
		{"windows backslash", `C:\wg\wg0.conf`, "windows", nil, "", "`C:\\wg\\wg0.conf' does not exist"},
		{"invalid name", "this-name-is-too-long", "linux", nil, "",
			`find config: "this-name-is-too-long" is neither a path nor a valid interface name (1-15 characters from a-z A-Z 0-9 _ = + . -)`},
		{"empty", "", "linux", nil, "", `find config: "" is neither a path nor a valid interface name (1-15 characters from a-z A-Z 0-9 _ = + . -)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindWith(fakeStat(tt.existing...), tt.arg, tt.goos)
			if got != tt.want || errString(err) != tt.wantErr {
				t.Errorf("FindWith(%q, %s) = %q, %v; want %q, %q", tt.arg, tt.goos, got, err, tt.want, tt.wantErr)
			}
			if tt.want == "" && tt.wantErr != "" && tt.wantErr[0] == '`' && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("not-found error does not wrap fs.ErrNotExist")
			}
		})
	}
	denied := func(string) (fs.FileInfo, error) { return nil, fs.ErrPermission }
	if _, err := FindWith(denied, "wg0", "linux"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("permission error lost: %v", err)
	}
}

func TestFindReal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wg7.toml")
	if err := os.WriteFile(p, []byte("[Interface]\nMTU = 1400\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Find(p, "linux")
	if err != nil || got != p {
		t.Fatalf("Find = %q, %v", got, err)
	}
	c, err := Load(got)
	if err != nil || c.Name != "wg7" || c.Interface.MTU.V != 1400 || c.File != p {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}

func TestInterfaceName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/etc/wireguard/wg0.conf", "wg0"}, {"wg0.toml", "wg0"}, {"a/b/=+.-_x.conf", "=+.-_x"},
		{"/etc/wireguard/.conf", ""}, {"/x/sixteen-chars-xy.conf", ""}, {"/x/wg0.cfg", ""}, {"/x/wg 0.conf", ""},
		{`C:\wg\tun1.conf`, "tun1"},
	} {
		got, err := InterfaceName(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("InterfaceName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if got := errString(func() error { _, err := InterfaceName("/x/wg0.cfg"); return err }()); got != "config /x/wg0.cfg: the config file must be a valid interface name, followed by .conf or .toml" {
		t.Errorf("error = %s", got)
	}
	for name, want := range map[string]bool{"wg0": true, "a": true, "123456789012345": true, "1234567890123456": false, "wg/0": false, "": false, "wg0:1": false} {
		if got := ValidInterfaceName(name); got != want {
			t.Errorf("ValidInterfaceName(%q) = %v", name, got)
		}
	}
}

func TestWorldAccessibleWarning(t *testing.T) {
	for _, tt := range []struct {
		file, dir fs.FileMode
		warn      bool
	}{
		{0o600, 0o700, false},
		{0o644, 0o700, false}, // private directory hides a readable file
		{0o644, 0o755, true},
		{0o640, 0o755, false},
		{0o601, 0o701, true},
		{0o602, 0o705, false}, // other bits must overlap
		{0o4600 | fs.ModeSetuid, 0o755, false},
	} {
		got := WorldAccessibleWarning("/etc/wireguard/wg0.conf", tt.file, tt.dir|fs.ModeDir)
		want := ""
		if tt.warn {
			want = "Warning: `/etc/wireguard/wg0.conf' is world accessible"
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("file %o dir %o (-want +got):\n%s", tt.file, tt.dir, diff)
		}
	}
}
