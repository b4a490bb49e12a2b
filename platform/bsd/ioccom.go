package bsd

// ioctl request encoding shared by FreeBSD and OpenBSD (sys/sys/ioccom.h):
// the direction in the top bits, the argument size in bits 16-28, the
// group letter and the number in the low 16 bits.
const (
	IocVoid     = 0x20000000 // IOC_VOID: no argument
	IocOut      = 0x40000000 // IOC_OUT: copy the argument out (read)
	IocIn       = 0x80000000 // IOC_IN: copy the argument in (write)
	IocInOut    = IocIn | IocOut
	IocParmMask = 0x1fff // IOCPARM_MASK: the size field
)

func ioc(dir uintptr, group byte, num uint8, size uintptr) uintptr {
	return dir | (size&IocParmMask)<<16 | uintptr(group)<<8 | uintptr(num)
}

// IOW is _IOW(group, num, t) for sizeof(t) == size: the kernel reads the
// argument.
func IOW(group byte, num uint8, size uintptr) uintptr { return ioc(IocIn, group, num, size) }

// IOR is _IOR(group, num, t): the kernel writes the argument.
func IOR(group byte, num uint8, size uintptr) uintptr { return ioc(IocOut, group, num, size) }

// IOWR is _IOWR(group, num, t): both directions.
func IOWR(group byte, num uint8, size uintptr) uintptr { return ioc(IocInOut, group, num, size) }
