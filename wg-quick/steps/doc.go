// Package steps performs wg-quick plans all or nothing: Runner prints every
// step ("[#] ..."), performs it, records the step that reverses it, and
// when a step fails (or the context ends between two steps) performs the
// recorded undo steps in reverse order before returning the failure.
//
// It is the runner of both step types wg-quick has: package wgquick's Op
// (Linux, FreeBSD, Windows) and platform/openbsd/quick's Step. The two
// cannot be one type (their kinds and fields are each OS's own, and
// wgquick imports quick), so Runner is generic over the step type and
// learns what it needs of a step from a Describe function.
//
// It does not plan, print warnings of its own or know any OS; it imports
// the standard library only. Importers: wg-quick and
// platform/openbsd/quick; core/ has no use for it.
package steps
