package wgnl

// Generic netlink family (include/uapi/linux/wireguard.h).
const (
	familyName    = "wireguard"
	familyVersion = 1

	cmdGetDevice = 0
	cmdSetDevice = 1
)

// Device attributes (WGDEVICE_A_*).
const (
	deviceIfindex    = 1
	deviceIfname     = 2
	devicePrivateKey = 3
	devicePublicKey  = 4
	deviceFlags      = 5
	deviceListenPort = 6
	deviceFwmark     = 7
	devicePeers      = 8

	deviceFReplacePeers = 1 << 0
)

// Peer attributes (WGPEER_A_*).
const (
	peerPublicKey         = 1
	peerPresharedKey      = 2
	peerFlags             = 3
	peerEndpoint          = 4
	peerKeepalive         = 5
	peerLastHandshake     = 6
	peerRxBytes           = 7
	peerTxBytes           = 8
	peerAllowedIPs        = 9
	peerProtocolVersion   = 10
	peerFRemoveMe         = 1 << 0
	peerFReplaceAllowedIP = 1 << 1
	peerFUpdateOnly       = 1 << 2
)

// Allowed IP attributes (WGALLOWEDIP_A_*). The flags attribute and
// WGALLOWEDIP_F_REMOVE_ME arrived in Linux 6.16; golang.org/x/sys does not
// have them yet.
const (
	allowedIPFamily   = 1
	allowedIPAddr     = 2
	allowedIPCIDR     = 3
	allowedIPFlags    = 4
	allowedIPFRemove  = 1 << 0
	afInet            = 2
	afInet6           = 10
	sockaddrInLen     = 16
	sockaddrIn6Len    = 28
	ifNameMax         = 15 // IFNAMSIZ - 1
	nlaNested         = 0x8000
	nlaTypeMask       = 0x3fff
	nlmsgHeaderLen    = 16
	genlHeaderLen     = 4
	messageHeaderSize = nlmsgHeaderLen + genlHeaderLen
)

// MaxMessageSize is the largest WG_CMD_SET_DEVICE message Set sends,
// headers included. wg(8) uses min(page size, 8192); a page is the smallest
// of those on every architecture Linux runs WireGuard on.
const MaxMessageSize = 4096
