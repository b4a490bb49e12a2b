// Package packaging holds what is installed next to the binaries: the
// systemd units (systemd/), bash completions (completion/) and, through
// mk/install.mk, the man pages of docs/man. The package has no code; its
// tests install everything into a temporary DESTDIR and check the file
// list, render every man page with groff and man(1) when present (and check
// the troff macros themselves otherwise), exercise the completion functions
// in bash, and verify the systemd unit with systemd-analyze when present.
//
// Nothing imports this package.
package packaging
