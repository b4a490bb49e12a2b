// Package uapi speaks the cross-platform userspace configuration protocol
// (the key=value text that wg(8) and wireguard-go exchange over a unix socket
// or a named pipe), mapping it to and from core/wgtypes values only.
//
// The package has four parts:
//
//   - encoding: ParseSet/WriteSet for the body of a "set=1" request and
//     ParseGet/WriteGet for the body of a "get=1" reply;
//   - a server: Serve and ServeListener run the request loop of one
//     connection or listener against a Handler (the core engine, or a test
//     double);
//   - a client: Client performs one get or set over a connection and maps
//     errno replies to *Error;
//   - unix socket helpers: SocketPath, Listen and Dial create and find
//     <dir>/<iface>.sock (stubs returning errors.ErrUnsupported elsewhere;
//     Windows named pipes live in platform/windows).
//
// Unlike wireguard-go, a set request is parsed and validated completely
// before anything is applied, and then handed to Handler.Set as one
// wgtypes.Config: a bad request changes nothing. The engine, not this
// package, implements the side effects of a configuration change (spec
// protocol.md §8.4), including ignoring a peer whose key is the device's own.
// Handler.Set errors choose the errno replied (ErrnoOf).
//
// The package imports only core/wgtypes and the standard library; anything
// may import it. The wire protocol is described in spec uapi.md
// (wireguard.com/xplatform; wireguard-go device/uapi.go; wireguard-tools
// src/ipc-uapi.h).
package uapi
