//go:build unix

package uapi

func errUnsupported(op, name string) error { return nil }
