//go:build unix

package uapi

import "syscall"

func syscallUmask(m int) int { return syscall.Umask(m) }
