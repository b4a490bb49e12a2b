// Package quick is wg-quick(8) on OpenBSD: a pure planner that turns a
// configuration and a few facts about the host into the steps of `up`
// and `down`, the warnings for keys that mean something else on OpenBSD,
// and an executor performing the steps natively.
//
// The plan follows upstream's src/wg-quick/openbsd.bash (spec
// wg-quick.md §3, §4.4, §5, §7, §8):
//
//	up    ifconfig wgN create description "wg-quick: NAME"  (lowest free wgN)
//	      PreUp hooks; wg setconf; addresses; MTU; up; DNS via resolvd;
//	      allowed-IP routes `-iface FIRSTADDR` (a /0 as two /1 halves,
//	      Table = N into routing table N); endpoint host routes via the
//	      previous default gateway; route monitor; PostUp hooks.
//	down  PreDown hooks; DNS back; ifconfig wgN destroy; PostDown hooks.
//
// Deliberate differences from upstream, each documented in
// docs/openbsd.md: the interface is created before PreUp runs, so %i in
// a PreUp hook is the real wgN (upstream expands it to an empty string);
// the route monitor starts only when a default route was taken over
// (upstream always backgrounds one, which then does nothing); %I is the
// configuration name in every hook, as upstream does.
//
// Upstream has no userspace fallback on OpenBSD. Ours runs one when
// WG_QUICK_USERSPACE_IMPLEMENTATION names a program (wgshim,
// wireguard-go), or with the default daemon when the kernel has no
// wg(4): the daemon gets the lowest unused tunN (OpenBSD cannot rename
// interfaces), which is tagged "wg-quick: NAME" like a wgN and found again
// the same way; down removes its socket, so the daemon exits.
//
// Steps carry the route(8)/ifconfig(8) command upstream prints for them
// ("[#] ..."), and an undo step, so a runner can unwind a failed `up`.
// Importers: wg-quick's OpenBSD glue and tests; nothing in core/.
package quick
