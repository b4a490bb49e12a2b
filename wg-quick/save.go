package wgquick

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Running is the live state `wg-quick save` reads besides the WireGuard
// device.
type Running struct {
	Addrs []netip.Prefix // addresses on the interface
	DNS   []netip.Addr   // name servers registered for it
	MTU   int            // link MTU
}

// RunningConfig is save_config: the configuration to write back for the
// file's configuration file (its Name and File are kept) given the running
// device and state.
//
// Like upstream it takes Address from the interface, DNS servers from the
// resolver, MTU from the link (only if the file sets MTU), Table,
// SaveConfig, KillSwitch and the hooks from the file, and the wg(8) part from the
// device, peers with their current endpoints. It differs in three ways:
// IPv6 link-local addresses are left out (a TUN gets one from the kernel,
// and writing it would make the next `up` fail on a duplicate), DNS search
// domains are kept from the file (upstream drops them), and key file
// references (PrivateKeyFile, PresharedKeyFile) are kept when the running
// key is still the one in the file.
func RunningConfig(file *config.Config, dev *wgtypes.Device, run Running) *config.Config {
	fi := &file.Interface
	out := &config.Config{Name: file.Name, File: file.File}
	in := &out.Interface
	for _, a := range run.Addrs {
		if a.Addr().Is6() && a.Addr().IsLinkLocalUnicast() {
			continue
		}
		in.Address = append(in.Address, config.Value[netip.Prefix]{V: a})
	}
	for _, d := range run.DNS {
		in.DNS = append(in.DNS, config.Value[netip.Addr]{V: d})
	}
	if len(run.DNS) > 0 {
		in.DNSSearch = fi.DNSSearch
	}
	if fi.MTU != nil && run.MTU > 0 {
		in.MTU = &config.Value[int]{V: run.MTU}
	}
	in.Table = fi.Table
	if fi.SaveConfig != nil && fi.SaveConfig.V {
		in.SaveConfig = fi.SaveConfig
	}
	in.KillSwitch = fi.KillSwitch
	in.PreUp, in.PostUp, in.PreDown, in.PostDown = fi.PreUp, fi.PostUp, fi.PreDown, fi.PostDown

	if fi.PrivateKeyFile != nil && fi.PrivateKey != nil && fi.PrivateKey.V == dev.PrivateKey {
		in.PrivateKeyFile = fi.PrivateKeyFile
	} else if !dev.PrivateKey.IsZero() {
		in.PrivateKey = &config.Value[wgtypes.Key]{V: dev.PrivateKey}
	}
	if dev.ListenPort != 0 {
		in.ListenPort = &config.Value[uint16]{V: uint16(dev.ListenPort)}
	}
	if dev.FirewallMark != 0 {
		in.FwMark = &config.Value[uint32]{V: dev.FirewallMark}
	}
	pskFiles := map[wgtypes.Key]config.Peer{}
	for _, p := range file.Peers {
		if p.PublicKey != nil && p.PresharedKeyFile != nil && p.PresharedKey != nil {
			pskFiles[p.PublicKey.V] = p
		}
	}
	for _, p := range dev.Peers {
		op := config.Peer{PublicKey: &config.Value[wgtypes.Key]{V: p.PublicKey}}
		if fp, ok := pskFiles[p.PublicKey]; ok && fp.PresharedKey.V == p.PresharedKey {
			op.PresharedKeyFile = fp.PresharedKeyFile
		} else if !p.PresharedKey.IsZero() {
			op.PresharedKey = &config.Value[wgtypes.Key]{V: p.PresharedKey}
		}
		for _, a := range p.AllowedIPs {
			op.AllowedIPs = append(op.AllowedIPs, config.Value[netip.Prefix]{V: a})
		}
		if p.Endpoint.IsValid() {
			op.Endpoint = &config.Value[string]{V: p.Endpoint.String()}
		}
		if p.PersistentKeepalive != 0 {
			op.PersistentKeepalive = &config.Value[uint16]{V: p.PersistentKeepalive}
		}
		out.Peers = append(out.Peers, op)
	}
	return out
}

// encodeConfig writes c in the format of its file name (INI or TOML).
func encodeConfig(c *config.Config) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if config.FormatOf(c.File) == config.TOML {
		err = config.WriteTOML(&buf, c)
	} else {
		err = config.WriteINI(&buf, c)
	}
	return buf.Bytes(), err
}

// writeFileAtomic writes path.tmp with mode 0600, syncs it and renames it
// over path, as save_config does under umask 077.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("could not write configuration file: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("could not write configuration file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("could not move configuration file: %w", err)
	}
	return nil
}
