package wg

import (
	"fmt"
	"io"
	"io/fs"
)

// genkey runs genkey and genpsk.
func (c *cmd) genkey(args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(c.err, "Usage: %s %s\n", c.prog, args[0])
		return 1
	}
	if st, ok := c.env.Stdout.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o007 != 0 {
			fmt.Fprintf(c.err, "Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n")
		}
	}
	var k key
	if _, err := io.ReadFull(c.env.Rand, k[:]); err != nil {
		c.perror("getrandom", err)
		return 1
	}
	if args[0] == "genkey" {
		k = k.Clamped()
	}
	fmt.Fprintf(c.out, "%s\n", k)
	return 0
}

// pubkey reads a private key from stdin: exactly 44 characters, then only
// whitespace or NUL bytes.
func (c *cmd) pubkey(args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(c.err, "Usage: %s %s\n", c.prog, args[0])
		return 1
	}
	var buf [44]byte
	if _, err := io.ReadFull(c.env.Stdin, buf[:]); err != nil {
		fmt.Fprintf(c.err, "%s: Key is not the correct length or format\n", c.prog)
		return 1
	}
	var rest [512]byte
	for {
		n, err := c.env.Stdin.Read(rest[:])
		for _, b := range rest[:n] {
			if b != 0 && !isSpace(b) {
				fmt.Fprintf(c.err, "%s: Trailing characters found after key\n", c.prog)
				return 1
			}
		}
		if err != nil {
			break // EOF, or a read error that getc(3) also takes as the end
		}
	}
	k, ok := keyFromBase64(string(buf[:]))
	if !ok {
		fmt.Fprintf(c.err, "%s: Key is not the correct length or format\n", c.prog)
		return 1
	}
	fmt.Fprintf(c.out, "%s\n", k.PublicKey())
	return 0
}
