package rollback

import "github.com/wgshim/wgshim/core/wgtypes"

// Config returns the configuration that puts an interface back into the
// observed state dev: its listen port and firewall mark, its private
// key, and every peer with its preshared key, endpoint, keepalive and
// allowed IPs, replacing the current peers. Peers come back without
// sessions or counters.
//
// A zero private key is left out (PrivateKey is nil): it is what a caller
// without privilege reads, so the key is unknown. A driver that can
// remove the key, and knows dev really had none, sets it itself.
func Config(dev *wgtypes.Device) wgtypes.Config {
	port := dev.ListenPort
	mark := dev.FirewallMark
	cfg := wgtypes.Config{
		ListenPort:   &port,
		FirewallMark: &mark,
		ReplacePeers: true,
	}
	if !dev.PrivateKey.IsZero() {
		k := dev.PrivateKey
		cfg.PrivateKey = &k
	}
	for _, p := range dev.Peers {
		pc := wgtypes.PeerConfig{
			PublicKey:           p.PublicKey,
			PresharedKey:        &p.PresharedKey,
			PersistentKeepalive: &p.PersistentKeepalive,
			AllowedIPs:          p.AllowedIPs,
		}
		if p.Endpoint.IsValid() {
			ep := p.Endpoint
			pc.Endpoint = &ep
		}
		cfg.Peers = append(cfg.Peers, pc)
	}
	return cfg
}
