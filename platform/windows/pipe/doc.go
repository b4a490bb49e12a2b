// Package pipe carries the UAPI protocol (core/uapi) over the Windows named
// pipe \\.\pipe\ProtectedPrefix\Administrators\WireGuard\<iface>, where
// wg.exe, wgctrl-go and our own wg look for userspace interfaces (spec
// uapi.md §1, windows.md §5).
//
// Listen creates the pipe with the security descriptor SDDL: owned by
// LocalSystem, full access for LocalSystem and Administrators only, and a
// high mandatory label so non-elevated processes cannot connect. Only
// Administrators can create pipes under ProtectedPrefix\Administrators\, so
// an unprivileged process cannot squat the name, and the first instance is
// created exclusively, so a second daemon for the same interface fails
// instead of sharing it. Dial checks the owner of the pipe it reached
// before talking to it, as wg.exe does.
//
// Only a LocalSystem process (a service) can make LocalSystem the owner of
// the pipe; wg.exe refuses any other owner. An elevated administrator can
// use ListenSDDL with SDDLAdmin instead: our Dial accepts that owner
// (Administrators can create the pipe anyway), wg.exe does not.
//
// The overlapped pipe I/O is github.com/Microsoft/go-winio (MIT, maintained
// by Microsoft, the pipe layer of Docker and containerd): it gives a
// net.Listener and net.Conn with deadlines and clean cancellation on Close.
//
// The names, paths and security descriptors are plain functions and
// constants tested on every OS; Listen, Dial and List return
// errors.ErrUnsupported outside Windows.
//
// Importers: platform/windows and the commands (wgshim serves, wg dials).
package pipe
