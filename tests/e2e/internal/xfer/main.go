// Command xfer moves a deterministic pseudo-random byte stream over one TCP
// connection and prints what it moved, so the end-to-end tests can check a
// bulk transfer through a tunnel without depending on nc or socat.
//
//	xfer recv -listen ADDR [-timeout D]
//	xfer send -connect ADDR -bytes N [-seed S] [-timeout D]
//
// Both print one line, "<bytes> <sha256 hex>", and exit 0; on any error they
// print the error to stderr and exit 1. recv accepts a single connection and
// reads it to the end. send retries the connection for up to five seconds
// (the receiver may still be starting) and half-closes when done.
//
// It is a test helper built by tests/e2e; nothing imports it.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: xfer recv -listen ADDR | xfer send -connect ADDR -bytes N [-seed S]")
		os.Exit(2)
	}
	var (
		n   int64
		sum []byte
		err error
	)
	switch os.Args[1] {
	case "recv":
		fs := flag.NewFlagSet("recv", flag.ExitOnError)
		listen := fs.String("listen", "", "address to listen on")
		timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
		fs.Parse(os.Args[2:])
		n, sum, err = recv(*listen, *timeout)
	case "send":
		fs := flag.NewFlagSet("send", flag.ExitOnError)
		addr := fs.String("connect", "", "address to connect to")
		size := fs.Int64("bytes", 0, "bytes to send")
		seed := fs.Uint64("seed", 1, "seed of the byte stream")
		timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
		fs.Parse(os.Args[2:])
		n, sum, err = send(*addr, *size, *seed, *timeout)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "xfer %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Printf("%d %s\n", n, hex.EncodeToString(sum))
}

func recv(addr string, timeout time.Duration) (int64, []byte, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, nil, err
	}
	defer l.Close()
	l.(*net.TCPListener).SetDeadline(time.Now().Add(timeout))
	c, err := l.Accept()
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	h := sha256.New()
	n, err := io.CopyBuffer(h, c, make([]byte, 256<<10))
	if err != nil {
		return n, nil, fmt.Errorf("after %d bytes: %w", n, err)
	}
	return n, h.Sum(nil), nil
}

func send(addr string, size int64, seed uint64, timeout time.Duration) (int64, []byte, error) {
	deadline := time.Now().Add(timeout)
	var c net.Conn
	var err error
	for start := time.Now(); ; {
		c, err = net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil || time.Since(start) > 5*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	h := sha256.New()
	src := io.LimitReader(rand.NewChaCha8(seedBytes(seed)), size)
	n, err := io.CopyBuffer(io.MultiWriter(c, h), src, make([]byte, 256<<10))
	if err != nil {
		return n, nil, fmt.Errorf("after %d bytes: %w", n, err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return n, nil, err
	}
	// Wait for the receiver to close, so that every byte was delivered
	// before we report success.
	if _, err := c.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return n, nil, fmt.Errorf("waiting for the receiver: %w", err)
	}
	return n, h.Sum(nil), nil
}

func seedBytes(seed uint64) (s [32]byte) {
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}
