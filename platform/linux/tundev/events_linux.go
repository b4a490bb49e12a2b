package tundev

import (
	"encoding/binary"
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/tun"
)

// eventBuffer is the depth of the Events channel. A consumer that falls
// further behind loses events rather than stalling the watcher, which must
// keep reading to notice the link's deletion.
const eventBuffer = 64

// startWatch opens an rtnetlink socket subscribed to link changes, asks for
// the link's current state and starts the watcher goroutine.
func (d *Device) startWatch(mtu int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return err
	}
	d.nl = os.NewFile(uintptr(fd), "rtnetlink")
	if err := d.requestLink(); err != nil {
		d.nl.Close()
		return err
	}
	d.watchers.Add(1)
	go d.watch(mtu)
	return nil
}

// requestLink sends RTM_GETLINK for our interface; the answer arrives as an
// RTM_NEWLINK like any change.
func (d *Device) requestLink() error {
	var b [unix.SizeofNlMsghdr + unix.SizeofIfInfomsg]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.RTM_GETLINK)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(b[8:], 1) // sequence
	// ifinfomsg: family, pad, type, index, flags, change
	ne.PutUint32(b[unix.SizeofNlMsghdr+4:], uint32(d.index))
	_, err := d.nl.Write(b[:])
	return err
}

func (d *Device) send(ev tun.Event) {
	select {
	case d.events <- ev:
	default:
	}
}

// watch turns link messages about our interface into events. On
// RTM_DELLINK it shuts the device down so Read fails.
func (d *Device) watch(mtu int) {
	defer d.watchers.Done()
	defer close(d.events)
	buf := make([]byte, 1<<16)
	up := false
	for {
		n, err := d.nl.Read(buf)
		if err != nil {
			if errors.Is(err, unix.ENOBUFS) {
				// Messages were lost; ask for the current state again.
				if d.requestLink() == nil {
					continue
				}
			}
			return
		}
		for b := buf[:n]; len(b) >= unix.SizeofNlMsghdr; {
			mlen := int(binary.NativeEndian.Uint32(b))
			if mlen < unix.SizeofNlMsghdr || mlen > len(b) {
				break
			}
			typ := binary.NativeEndian.Uint16(b[4:])
			data := b[unix.SizeofNlMsghdr:mlen]
			b = b[min(nlAlign(mlen), len(b)):]
			if (typ != unix.RTM_NEWLINK && typ != unix.RTM_DELLINK) || len(data) < unix.SizeofIfInfomsg {
				continue
			}
			if int(int32(binary.NativeEndian.Uint32(data[4:]))) != d.index {
				continue
			}
			if typ == unix.RTM_DELLINK {
				d.shutdown()
				return
			}
			flags := binary.NativeEndian.Uint32(data[8:])
			newMTU := 0
			for a := data[unix.SizeofIfInfomsg:]; len(a) >= 4; {
				alen := int(binary.NativeEndian.Uint16(a))
				if alen < 4 || alen > len(a) {
					break
				}
				val := a[4:alen]
				switch binary.NativeEndian.Uint16(a[2:]) &^ unix.NLA_F_NESTED {
				case unix.IFLA_MTU:
					if len(val) >= 4 {
						newMTU = int(binary.NativeEndian.Uint32(val))
					}
				case unix.IFLA_IFNAME:
					if name := cString(val); name != "" {
						d.mu.Lock()
						d.name = name
						d.mu.Unlock()
					}
				}
				a = a[min(nlAlign(alen), len(a)):]
			}
			// IFF_RUNNING (operationally up) implies IFF_UP.
			isUp := flags&unix.IFF_UP != 0 && flags&unix.IFF_RUNNING != 0
			if isUp != up {
				up = isUp
				if up {
					d.send(tun.EventUp)
				} else {
					d.send(tun.EventDown)
				}
			}
			if newMTU != 0 && newMTU != mtu {
				mtu = newMTU
				d.send(tun.EventMTUUpdate)
			}
		}
	}
}

func nlAlign(n int) int { return (n + 3) &^ 3 }

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
