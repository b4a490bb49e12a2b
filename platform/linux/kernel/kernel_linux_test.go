package kernel

import (
	"errors"
	"net/netip"
	"os"
	"syscall"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
)

func moduleLoaded() bool {
	_, err := os.Stat("/sys/module/wireguard")
	return err == nil
}

// TestOpenMissing runs anywhere: without the module, Open reports what
// wg(8) reports (EPROTONOSUPPORT); with it, ENODEV. Both wrap
// os.ErrNotExist, and List works either way.
func TestOpenMissing(t *testing.T) {
	d := New()
	if d.Kind() != wgtypes.LinuxKernel {
		t.Errorf("Kind = %q", d.Kind())
	}
	_, err := d.Open("wgshimnope0")
	want := syscall.ENODEV
	if !moduleLoaded() {
		want = syscall.EPROTONOSUPPORT
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno != want || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v (errno %v), want errno %v wrapping os.ErrNotExist", err, errno, want)
	}
	names, err := d.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	t.Logf("wireguard links: %q", names)
	if _, err := d.Open("lo"); err == nil {
		t.Error("Open(lo) succeeded")
	}
}

// TestKernelLifecycle runs in the VM of tests/kernel/run.sh
// (WGSHIM_KERNEL_VM=1), which has the module.
func TestKernelLifecycle(t *testing.T) {
	if os.Getenv("WGSHIM_KERNEL_VM") != "1" {
		t.Skip("skipping: needs the kernel test VM (tests/kernel/run.sh sets WGSHIM_KERNEL_VM=1)")
	}
	d := New()
	l, err := d.Create("wgkern0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := d.Create("wgkern0"); !errors.Is(err, os.ErrExist) {
		t.Errorf("second Create = %v, want ErrExist", err)
	}
	priv, _ := wgtypes.GeneratePrivateKey()
	peer, _ := wgtypes.GeneratePrivateKey()
	port := 51999
	cfg := wgtypes.Config{PrivateKey: &priv, ListenPort: &port, Peers: []wgtypes.PeerConfig{{
		PublicKey: peer.PublicKey(), ReplaceAllowedIPs: true, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
	}}}
	if err := l.Set(cfg); err != nil {
		t.Fatal(err)
	}
	dev, err := l.Get()
	if err != nil {
		t.Fatal(err)
	}
	if dev.PublicKey != priv.PublicKey() || dev.ListenPort != port || len(dev.Peers) != 1 || dev.Peers[0].AllowedIPs[0] != cfg.Peers[0].AllowedIPs[0] {
		t.Errorf("Get = %+v", dev)
	}
	names, err := d.List()
	if err != nil || len(names) == 0 {
		t.Errorf("List = %q, %v", names, err)
	}
	if err := l.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open("wgkern0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open after Destroy = %v", err)
	}
}
