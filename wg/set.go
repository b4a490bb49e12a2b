package wg

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/wgshim/wgshim/core/wgtypes"
)

const setUsage = "Usage: %s %s <interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] [peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] [allowed-ips <ip1>/<cidr1>[,<ip2>/<cidr2>]...] ]...\n"

// printParseError prints a parser's message; it reports whether the
// command must stop without printing anything more (exitError).
func (c *cmd) printParseError(err error) (exit bool) {
	fmt.Fprintf(c.err, "%s\n", err)
	var ee exitError
	return errors.As(err, &ee)
}

func (c *cmd) set(args []string) int {
	if len(args) < 3 {
		fmt.Fprintf(c.err, setUsage, c.prog, args[0])
		return 1
	}
	cf, err := c.parseSetArgs(args[2:])
	if err != nil {
		c.printParseError(err)
		return 1
	}
	if err := c.apply(truncName(args[1]), cf.config()); err != nil {
		c.perror("Unable to modify interface", err)
		return 1
	}
	return 0
}

func (c *cmd) apply(name string, cfg wgtypes.Config) error {
	l, err := c.env.Backend.Open(name)
	if err != nil {
		return err
	}
	defer l.Close()
	return l.Set(cfg)
}

// setconf runs setconf, addconf and syncconf.
func (c *cmd) setconf(args []string) int {
	if len(args) != 3 {
		fmt.Fprintf(c.err, "Usage: %s %s <interface> <configuration filename>\n", c.prog, args[0])
		return 1
	}
	f, err := os.Open(args[2])
	if err != nil {
		c.perror("fopen", err)
		return 1
	}
	defer f.Close()
	cf, err := c.parseConf(f, args[0] != "addconf")
	if err != nil {
		if !c.printParseError(err) {
			fmt.Fprintf(c.err, "Configuration parsing error\n")
		}
		return 1
	}
	if err := cf.finish(); err != nil {
		fmt.Fprintf(c.err, "%s\nInvalid configuration\n", err)
		return 1
	}
	name := truncName(args[1])
	if args[0] == "syncconf" {
		if err := c.syncConf(name, cf); err != nil {
			c.perror("Unable to retrieve current interface configuration", err)
			return 1
		}
	}
	if err := c.apply(name, cf.config()); err != nil {
		c.perror("Unable to modify interface", err)
		return 1
	}
	return 0
}

// syncConf turns a setconf configuration into the change that brings the
// running interface to it (setconf.c's sync_conf): if both have peers,
// peers not in the file are removed instead of replacing all peers, and a
// preshared key or keepalive the file does not mention is cleared. The
// error is one reading the running configuration.
func (c *cmd) syncConf(name string, cf *conf) error {
	if len(cf.peers) == 0 {
		return nil
	}
	dev, err := c.getDevice(name)
	if err != nil {
		return err
	}
	running := dev.d.Peers
	if len(running) == 0 {
		return nil
	}
	cf.cfg.ReplacePeers = false

	type origin struct {
		key      key
		fromFile bool
		file     *confPeer
		run      *wgtypes.Peer
	}
	all := make([]origin, 0, len(cf.peers)+len(running))
	for _, p := range cf.peers {
		all = append(all, origin{key: p.pc.PublicKey, fromFile: true, file: p})
	}
	for i := range running {
		all = append(all, origin{key: running[i].PublicKey, run: &running[i]})
	}
	slices.SortStableFunc(all, func(a, b origin) int {
		if r := bytes.Compare(a.key[:], b.key[:]); r != 0 {
			return r
		}
		switch {
		case a.fromFile == b.fromFile:
			return 0
		case a.fromFile:
			return 1
		}
		return -1
	})
	for i, o := range all {
		if o.fromFile {
			continue
		}
		var next *origin
		if i+1 < len(all) && all[i+1].fromFile && all[i+1].key == o.key {
			next = &all[i+1]
		}
		if next == nil {
			// Each removal goes to the front, as sync_conf links them.
			rm := &confPeer{pc: wgtypes.PeerConfig{PublicKey: o.key, Remove: true}, hasKey: true}
			cf.peers = append([]*confPeer{rm}, cf.peers...)
			continue
		}
		fp := &next.file.pc
		if !o.run.PresharedKey.IsZero() && fp.PresharedKey == nil {
			fp.PresharedKey = ptr(key{})
		}
		if o.run.PersistentKeepalive != 0 && fp.PersistentKeepalive == nil {
			fp.PersistentKeepalive = ptr(uint16(0))
		}
	}
	return nil
}
