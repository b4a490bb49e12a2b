package rtnl

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/mdlayher/netlink"
)

// Linux errno values the kernel returns in NLMSG_ERROR (asm-generic/errno*.h).
// Numeric, because this file builds on every GOOS while the numbers are
// always Linux's.
const (
	errnoEPERM      = 1
	errnoENOENT     = 2
	errnoESRCH      = 3
	errnoEEXIST     = 17
	errnoENODEV     = 19
	errnoEOPNOTSUPP = 95
)

// ErrDumpInterrupted is returned when the kernel kept flagging a dump as
// inconsistent (NLM_F_DUMP_INTR) because the tables changed while it was
// being read, even after retries.
var ErrDumpInterrupted = errors.New("dump interrupted by concurrent changes")

// kernelError is an errno from the kernel, with the extended-ack message
// if there was one, mapped to the os package's portable errors.
type kernelError struct {
	errno syscall.Errno
	msg   string // NLMSGERR_ATTR_MSG, may be empty
	kind  error  // os.ErrPermission, os.ErrExist, os.ErrNotExist, errors.ErrUnsupported or nil
	hint  string // how to fix it
}

func (e *kernelError) Error() string {
	var b strings.Builder
	b.WriteString(linuxErrnoText(e.errno))
	if e.msg != "" {
		b.WriteString(" (")
		b.WriteString(strings.TrimSuffix(e.msg, "."))
		b.WriteString(")")
	}
	if e.hint != "" {
		b.WriteString(": ")
		b.WriteString(e.hint)
	}
	return b.String()
}

func (e *kernelError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.errno}
	}
	return []error{e.errno, e.kind}
}

// linuxErrnoText spells the errnos we map the way Linux's strerror does,
// so messages read the same whichever OS the code was built for (tests
// with a fake kernel run everywhere); other numbers use the host's text.
func linuxErrnoText(n syscall.Errno) string {
	switch n {
	case errnoEPERM:
		return "operation not permitted"
	case errnoENOENT:
		return "no such file or directory"
	case errnoESRCH:
		return "no such process"
	case errnoEEXIST:
		return "file exists"
	case errnoENODEV:
		return "no such device"
	case errnoEOPNOTSUPP:
		return "operation not supported"
	}
	return n.Error()
}

// wrapErr formats a failed operation as "op: target: cause" and maps
// kernel errnos: EPERM to os.ErrPermission, EEXIST to os.ErrExist,
// ENODEV, ENOENT and ESRCH (what route deletion returns) to
// os.ErrNotExist, EOPNOTSUPP to errors.ErrUnsupported.
func wrapErr(op, target string, err error) error {
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		ke := &kernelError{errno: errno}
		var oe *netlink.OpError
		if errors.As(err, &oe) {
			ke.msg = oe.Message
		}
		switch errno {
		case errnoEPERM:
			ke.kind = os.ErrPermission
			ke.hint = "needs CAP_NET_ADMIN"
		case errnoEEXIST:
			ke.kind = os.ErrExist
		case errnoENODEV, errnoENOENT, errnoESRCH:
			ke.kind = os.ErrNotExist
		case errnoEOPNOTSUPP:
			ke.kind = errors.ErrUnsupported
		}
		err = ke
	}
	if target == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %s: %w", op, target, err)
}
