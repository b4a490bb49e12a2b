// Package nv encodes and decodes FreeBSD libnv name/value lists in the packed
// form produced by nvlist_pack(3) and consumed by nvlist_unpack(3), which is
// what the kernel's if_wg SIOCSWG/SIOCGWG ioctls exchange.
//
// A List is an ordered set of uniquely named pairs. Values are NULL, BOOL,
// NUMBER (uint64), STRING, BINARY, nested NVLIST, and arrays of BOOL, NUMBER,
// STRING and NVLIST. Descriptor types exist only in userland libnv (they are
// sent with SCM_RIGHTS) and are neither produced nor accepted.
//
// Wire format (freebsd-src sys/contrib/libnv/nvlist.c, nvpair.c; see
// /work/shared/spec/freebsd-nvlist.md §1):
//
//	packed   := header item*                  top level ends with the buffer
//	item     := pair(leaf) payload
//	          | pair(NVLIST) header item* UP
//	          | pair(NVLIST_ARRAY) (header item* NEXT){nitems}
//	header   := magic 'l' | version | flags | descriptors u64 | size u64   (19 bytes)
//	pair     := type u8 | namesize u16 | datasize u64 | nitems u64 | name NUL (19+namesize)
//
// Every header's size counts the bytes from the end of that header to the
// end of the whole buffer, nested headers included, so a packed list cannot
// be spliced into another one; the encoder therefore measures before it
// writes. Integers are in the byte order the top header's flag 0x80 names;
// libnv always writes host order.
//
// Decoding is strict: everything the kernel's unpacker rejects is rejected,
// and a few things it tolerates but never produces are rejected as well
// (they are listed on Decode). Errors carry the byte offset and the path of
// the offending pair. Decode never panics and never reads past its input.
//
// The package does no I/O and may be imported by anything.
package nv
