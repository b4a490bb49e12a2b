// Package service runs a tunnel as a Windows service: Install registers
// "WgshimTunnel$<name>" with the service control manager, running the
// executable as LocalSystem (the only account that can own the UAPI pipe
// wg.exe accepts, spec windows.md §5) and restarting it on failure;
// Uninstall stops and deletes it; Run is the service side, called by the
// executable the manager started.
//
// The command line the manager runs and the service's state machine are
// plain code without build tags, tested on every OS: CommandLine quotes
// arguments by the rules CommandLineToArgvW parses back, and the control
// loop behind Run reports start, running, stop and failure the way the
// manager expects. Only the calls into x/sys/windows/svc and svc/mgr are
// Windows-only; elsewhere Install, Uninstall and Run return
// errors.ErrUnsupported.
//
// What the service runs is the caller's: the commands choose the
// arguments (for example `wgshim /tunnelservice C:\...\wg0.conf`) and pass
// Run the function that brings the tunnel up and keeps it until stopped.
//
// Importers: the daemon's Windows command line, wg-quick's Windows flow
// (the command line it prints, the service's state), platform/windows.
package service
