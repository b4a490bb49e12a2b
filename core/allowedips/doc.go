// Package allowedips implements cryptokey routing: the table that maps
// each peer's allowed IP prefixes to the peer, queried by longest-prefix
// match for every packet sent (destination address) and received (inner
// source address). See the WireGuard whitepaper, section 2 ("Cryptokey
// Routing"), the Linux driver's allowedips.c and the project's protocol
// specification, section 5.
//
// The table is a path-compressed binary trie (a PATRICIA trie) per address
// family. A node exists only for a stored prefix or where two stored
// prefixes diverge, so the trie holds at most 2n-1 nodes for n prefixes and
// a lookup visits at most one node per distinct prefix length on its path.
// Removing a prefix removes or merges the nodes it no longer needs, so
// memory tracks the number of prefixes, not the history of changes.
//
// Address families are kept apart, as in the kernel, which looks up IPv4
// packets in an IPv4 trie and IPv6 packets in an IPv6 trie. In particular an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) is an IPv6 address here: it is
// matched only by IPv6 prefixes such as ::ffff:0:0/96, never by IPv4 ones.
// A caller holding an address from a dual-stack socket rather than from an
// IP header must Unmap it first if it means IPv4. Zones are ignored on
// lookup and cannot occur in a netip.Prefix.
//
// The package knows nothing about peers: Table is generic over the value
// stored with each prefix (the engine uses *Peer). It imports nothing from
// the project and may be imported by anything.
package allowedips
