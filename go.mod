module github.com/wgshim/wgshim

go 1.26.0

require (
	github.com/Microsoft/go-winio v0.6.2
	github.com/google/go-cmp v0.7.0
	github.com/mdlayher/genetlink v1.4.0
	github.com/mdlayher/netlink v1.11.2
	golang.org/x/crypto v0.58.0
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.47.0
	golang.zx2c4.com/wintun v0.0.0-20230126152724-0fa3db229ce2
	golang.zx2c4.com/wireguard v0.0.0-20260522210424-ecfc5a8d5446
)

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/mdlayher/socket v0.6.0 // indirect
	golang.org/x/net v0.60.0
	golang.org/x/sync v0.20.0 // indirect
)
