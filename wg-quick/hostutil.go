package wgquick

import (
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strings"
)

// Helpers the live hosts of several OSes share.

var nameserverRE = regexp.MustCompile(`^nameserver ([a-zA-Z0-9_=+:%.-]+)$`)

// parseNameservers returns the addresses of resolv.conf-style
// "nameserver" lines (what `resolvconf -l` prints).
func parseNameservers(text string) []netip.Addr {
	var dns []netip.Addr
	for _, l := range strings.Split(text, "\n") {
		if m := nameserverRE.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			if a, err := netip.ParseAddr(m[1]); err == nil {
				dns = append(dns, a)
			}
		}
	}
	return dns
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
