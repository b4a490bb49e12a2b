// Package wgtypes holds the plain values every consumer of a WireGuard link
// shares: keys, the desired configuration (Config, PeerConfig) and the
// observed state (Device, Peer).
//
// It has no behaviour beyond key handling and validation, imports nothing from
// the rest of the project, and may be imported by anything.
package wgtypes
