package uapi

import (
	"bufio"
	"fmt"
	"io"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Client performs operations on a UAPI server, one per call, over a
// connection the caller opened (Dial) and closes. A non-zero errno reply is
// returned as an *Error carrying that errno; a malformed reply is an *Error
// with EPROTO; a failure to write or read the connection is returned
// wrapped as it is.
type Client struct {
	// Dir is the socket directory Dial looks in; empty means DefaultDir.
	Dir string
}

// Get asks for the device state. The Device's Name is left empty.
func (c *Client) Get(conn io.ReadWriter) (*wgtypes.Device, error) {
	if _, err := io.WriteString(conn, "get=1\n\n"); err != nil {
		return nil, fmt.Errorf("uapi get: write: %w", err)
	}
	return ParseGet(bufio.NewReader(conn))
}

// Set applies cfg. The request is encoded completely before it is sent.
func (c *Client) Set(conn io.ReadWriter, cfg wgtypes.Config) error {
	bw := bufio.NewWriter(conn)
	bw.WriteString("set=1\n")
	if err := WriteSet(bw, cfg); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("uapi set: write: %w", err)
	}
	return readSetReply(bufio.NewReaderSize(conn, 64))
}

// readSetReply reads "errno=N" and the empty line. wg(8) reads the value as
// a signed number and negates it; a positive value is accepted as well.
func readSetReply(r *bufio.Reader) error {
	lr := lineReader{r: r}
	line, tooLong, err := lr.next()
	if err != nil && err != io.EOF {
		return fmt.Errorf("uapi set: read: %w", err)
	}
	key, value, ok := cut(line)
	if err == io.EOF || tooLong || !ok || string(key) != "errno" {
		return errorf(EPROTO, "uapi set: reply %q is not errno=N", clip(line))
	}
	errno, perr := parseErrno(value)
	if perr != nil {
		return errorf(EPROTO, "uapi set: reply errno %q: %w", clip(value), perr)
	}
	line, _, err = lr.next()
	if err != nil && err != io.EOF {
		return fmt.Errorf("uapi set: read: %w", err)
	}
	if err == io.EOF || len(line) != 0 {
		return errorf(EPROTO, "uapi set: reply does not end with an empty line")
	}
	if errno != 0 {
		return &Error{Errno: errnoFromWire(errno)}
	}
	return nil
}
