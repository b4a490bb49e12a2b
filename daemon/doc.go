// Package daemon is the wgshim userspace daemon: a drop-in for
// wireguard-go's command line and environment (uapi.md §8). It creates the
// TUN and the UAPI socket, re-executes itself in the background unless told
// to stay in the foreground, runs the core engine, and exits when asked to
// (SIGINT, SIGTERM), when its socket file is deleted, or when the interface
// disappears.
//
// The per-OS parts (creating or adopting a TUN, the fastest UDP bind) live
// in *_<os>.go files; everything else is shared.
package daemon
