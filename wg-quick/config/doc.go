// Package config reads and writes wg-quick configuration files.
//
// Two formats produce the same Config model:
//
//   - INI (.conf): the format of upstream wg-quick(8) and wg(8). The reader
//     accepts what the upstream bash parser and wg's own config parser
//     accept together: case-insensitive keys, '#' comments (kept inside
//     PreUp/PostUp/PreDown/PostDown), comma or space separated lists, keys
//     that repeat and accumulate, CRLF line ends.
//   - TOML (.toml): a wgshim format with the same key spellings, an
//     [Interface] table and [[Peer]] array of tables (docs/config.md).
//
// Every value keeps a Pos (file, line, key) so later stages can report
// "wg0.conf:7: ..." errors, and readers report every error in a file, not
// only the first. Writers print canonical INI (the layout of `wg-quick
// save`), the wg(8) subset of `wg-quick strip`, and canonical TOML;
// comments and key order are not preserved.
//
// The package does no I/O beyond reading and writing what it is handed:
// endpoint resolution and key files go through injected functions, and the
// config lookup (Find) takes an injected stat. It does not run hooks, add
// addresses or routes: that is the wg-quick runner's job. It may be imported
// by wg-quick and the commands; core/ must not import it.
package config
