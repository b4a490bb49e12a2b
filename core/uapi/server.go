package uapi

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Handler is what a UAPI server configures (the core engine, or a test
// double). A server calls it from one goroutine per connection, so it must
// be safe for concurrent use.
type Handler interface {
	// Get returns the current state. The server only reads the Device.
	Get() (*wgtypes.Device, error)
	// Set applies cfg atomically: on error nothing changed. The errno
	// replied is chosen by ErrnoOf: return an *Error (for example with
	// EADDRINUSE when the listen port cannot be bound) to pick it.
	Set(cfg wgtypes.Config) error
}

// Server serves the protocol to a Handler. The zero Logf discards the
// failures; a daemon logs them, as wireguard-go does, because the client
// only sees an errno.
type Server struct {
	Handler Handler
	Logf    func(format string, args ...any)
}

// Serve runs the request loop of one connection against h and closes conn
// when done. See Server.ServeConn.
func Serve(conn io.ReadWriteCloser, h Handler) {
	(&Server{Handler: h}).ServeConn(conn)
}

// ServeListener accepts connections on l and serves each one concurrently
// against h. See Server.Serve.
func ServeListener(l net.Listener, h Handler) error {
	return (&Server{Handler: h}).Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine. It
// returns nil once l is closed, or the first Accept error that is not a
// timeout (timeouts, such as running out of file descriptors, are retried
// after a pause). Connections being served are not closed by closing l.
func (s *Server) Serve(l net.Listener) error {
	var pause time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				s.logf("uapi accept: %v; retrying in %v", err, pause)
				time.Sleep(pause)
				continue
			}
			return err
		}
		pause = 0
		go s.ServeConn(c)
	}
}

// ServeConn runs the request loop of one connection until the peer closes
// it (spec uapi.md §2, §5), then closes conn:
//
//   - "get=1" must be followed by the empty line. The reply is the device
//     and "errno=0", or only "errno=N" with a positive N if Handler.Get
//     fails: wg(8) parses only non-negative errnos in a get reply.
//   - "get=1" followed by anything else: the reply is "errno=22" (EINVAL,
//     positive for the same reason; wireguard-go sends -22, which wg reads
//     as a protocol error) and the connection is closed, as the rest of the
//     line cannot be resynchronised (wireguard-go ends up closing too, when
//     it reads the rest of the line as an operation).
//   - "set=1": the body is parsed whole (ParseSet) and applied with one
//     Handler.Set; the reply is "errno=0" or "errno=-N". A request cut off
//     by the end of the stream is applied, like wireguard-go does.
//   - Any other operation line closes the connection without a reply.
func (s *Server) ServeConn(conn io.ReadWriteCloser) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	bw := bufio.NewWriter(conn)
	for {
		op, err := br.ReadSlice('\n')
		if err != nil {
			if err != io.EOF || len(op) > 0 {
				s.logf("uapi: invalid operation %q: %v", clip(op), err)
			}
			return
		}
		switch string(op) {
		case "get=1\n":
			b, err := br.ReadByte()
			if err != nil {
				return
			}
			if b != '\n' {
				s.logf("uapi get: trailing character %q", b)
				writeErrno(bw, int64(EINVAL))
				return
			}
			if !s.get(bw) {
				return
			}
		case "set=1\n":
			if !s.set(br, bw) {
				return
			}
		default:
			s.logf("uapi: invalid operation %q", clip(op[:len(op)-1]))
			return
		}
	}
}

// get serves one get; it reports whether the connection is still usable.
func (s *Server) get(bw *bufio.Writer) bool {
	d, err := s.Handler.Get()
	if err == nil {
		if err = WriteGet(bw, d); err == nil {
			return bw.Flush() == nil
		}
		// WriteGet checks d before writing, so bw holds nothing of it
		// unless the write itself failed.
		if bw.Buffered() > 0 || bw.Flush() != nil {
			return false
		}
	}
	s.logf("uapi get: %v", err)
	return writeErrno(bw, int64(ErrnoOf(err)))
}

// set serves one set; it reports whether the connection is still usable.
func (s *Server) set(br *bufio.Reader, bw *bufio.Writer) bool {
	cfg, err := ParseSet(br)
	if err == nil {
		err = s.Handler.Set(cfg)
		if err == nil {
			return writeErrno(bw, 0)
		}
	}
	s.logf("uapi set: %v", err)
	errno := ErrnoOf(err)
	ok := writeErrno(bw, -int64(errno))
	return ok && errno != EIO
}

func writeErrno(bw *bufio.Writer, errno int64) bool {
	var b [32]byte
	line := append(strconv.AppendInt(append(b[:0], "errno="...), errno, 10), '\n', '\n')
	bw.Write(line)
	return bw.Flush() == nil
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}
