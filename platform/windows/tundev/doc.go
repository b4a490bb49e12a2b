// Package tundev is the Windows TUN device of the userspace datapath: it
// implements core/tun.Device over a Wintun adapter (golang.zx2c4.com/wintun,
// which loads wintun.dll).
//
// What it does:
//
//   - Create makes a new adapter whose GUID is derived from the interface
//     name (AdapterGUID, a name-based UUID), so Windows keeps the same
//     network profile across restarts instead of adding "Network N" each
//     time; Open attaches to an adapter that already exists.
//   - One session with an 8 MiB ring (RingCapacity) carries the packets.
//     Read waits once, then drains every packet already in the ring up to
//     len(bufs); Write places each packet of the batch in the send ring.
//   - Close ends the session and releases the adapter handle.
//
// Adapter lifetime: Wintun deletes an adapter when the handle that created
// it is closed, and only then. So a Device from Create removes its adapter
// on Close (and the Device must stay reachable while the tunnel runs: the
// Wintun package closes a lost handle from a finalizer), while a Device
// from Open leaves the adapter in place for its owner.
//
// What it does not: it sets no addresses, routes, MTU or DNS on the IP
// interface (platform/windows/iphelper does, keyed by LUID), and Wintun
// itself enforces no MTU: MTU reports the value given at creation or by
// SetMTU. It does not spin on an empty ring before waiting, as
// wireguard-go does under load; each empty Read costs one wait.
//
// wintun.dll must sit next to the executable (or in System32): the DLL is
// loaded with LOAD_LIBRARY_SEARCH_APPLICATION_DIR|LOAD_LIBRARY_SEARCH_SYSTEM32,
// so neither the current directory nor PATH is searched. A missing DLL is
// reported as an error naming the directory to put it in.
//
// The batching, buffer and close logic lives in files without build tags
// and is tested on every OS against an in-memory ring; only the Wintun glue
// is Windows-only. On other systems Create and Open return
// errors.ErrUnsupported.
//
// Importers: platform/windows and the commands that start the userspace
// datapath. core/ must not import it.
package tundev
