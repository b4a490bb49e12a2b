// Command loadpeers configures a userspace WireGuard daemon with many
// peers over its UAPI socket, for memory and scale measurements
// (tests/bench-tunnel.sh):
//
//	loadpeers [-dir /var/run/wireguard] -iface IFACE -peers N -ips M
//
// It sets a fresh private key and N peers with random public keys, each
// with M allowed IPs (alternately IPv4 /32 and IPv6 /128, all distinct),
// in one set request, then reads the device back and checks the peer and
// allowed-IP counts. It prints "N peers, N*M allowed ips: set in D, get in D".
//
// It is a test helper; nothing imports it.
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
)

func main() {
	dir := flag.String("dir", uapi.DefaultDir, "UAPI socket directory")
	iface := flag.String("iface", "", "interface name")
	peers := flag.Int("peers", 10000, "number of peers")
	ips := flag.Int("ips", 2, "allowed IPs per peer")
	flag.Parse()
	if err := load(*dir, *iface, *peers, *ips); err != nil {
		fmt.Fprintf(os.Stderr, "loadpeers: %s: %v\n", *iface, err)
		os.Exit(1)
	}
}

func load(dir, iface string, n, m int) error {
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return err
	}
	cfg := wgtypes.Config{PrivateKey: &priv, ReplacePeers: true, Peers: make([]wgtypes.PeerConfig, n)}
	ip := 0
	for i := range cfg.Peers {
		pc := &cfg.Peers[i]
		if _, err := rand.Read(pc.PublicKey[:]); err != nil {
			return err
		}
		for range m {
			ip++
			if ip%2 == 1 {
				a := netip.AddrFrom4([4]byte{10, byte(ip >> 16), byte(ip >> 8), byte(ip)})
				pc.AllowedIPs = append(pc.AllowedIPs, netip.PrefixFrom(a, 32))
			} else {
				a := netip.AddrFrom16([16]byte{0xfd, 0, 12: byte(ip >> 24), 13: byte(ip >> 16), 14: byte(ip >> 8), 15: byte(ip)})
				pc.AllowedIPs = append(pc.AllowedIPs, netip.PrefixFrom(a, 128))
			}
		}
	}
	c := &uapi.Client{Dir: dir}
	conn, err := c.Dial(iface)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	start := time.Now()
	if err := c.Set(conn, cfg); err != nil {
		return fmt.Errorf("set: %w", err)
	}
	setTime := time.Since(start)
	start = time.Now()
	dev, err := c.Get(conn)
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	getTime := time.Since(start)
	got := 0
	for _, p := range dev.Peers {
		got += len(p.AllowedIPs)
	}
	if len(dev.Peers) != n || got != n*m {
		return fmt.Errorf("read back %d peers and %d allowed ips, want %d and %d", len(dev.Peers), got, n, n*m)
	}
	fmt.Printf("%d peers, %d allowed ips: set in %v, get in %v\n", n, n*m,
		setTime.Round(time.Millisecond), getTime.Round(time.Millisecond))
	return nil
}
