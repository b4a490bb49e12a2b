package service

import (
	"errors"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"

	"github.com/wgshim/wgshim/internal/testenv"
)

func TestToSvc(t *testing.T) {
	tests := []struct {
		in   status
		want svc.Status
	}{
		{status{state: startPending}, svc.Status{State: svc.StartPending, WaitHint: 30000}},
		{status{state: running, acceptStop: true}, svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}},
		{status{state: stopPending}, svc.Status{State: svc.StopPending, WaitHint: 15000}},
		{status{state: stopped}, svc.Status{State: svc.Stopped}},
	}
	for _, tt := range tests {
		if got := toSvc(tt.in); got != tt.want {
			t.Errorf("toSvc(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestFromSvc(t *testing.T) {
	tests := []struct {
		in   svc.State
		want State
	}{
		{svc.Stopped, Stopped}, {svc.StartPending, Starting}, {svc.Running, Running},
		{svc.StopPending, Stopping}, {svc.Paused, Other},
	}
	for _, tt := range tests {
		if got := fromSvc(tt.in); got != tt.want {
			t.Errorf("fromSvc(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestU16Multi(t *testing.T) {
	p := u16multi("Nsi", "TcpIp")
	got := unsafe.Slice(p, 11)
	want := append(append(windows.StringToUTF16("Nsi"), windows.StringToUTF16("TcpIp")...), 0)
	if string(utf16ToBytes(got)) != string(utf16ToBytes(want)) {
		t.Errorf("u16multi = %v, want %v", got, want)
	}
}

func utf16ToBytes(u []uint16) []byte {
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

func TestUninstallMissing(t *testing.T) {
	if !windows.GetCurrentProcessToken().IsElevated() {
		testenv.Skip(t, "needs an elevated administrator")
	}
	err := Uninstall("wgshim-no-such-tunnel")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Uninstall = %v, want os.ErrNotExist", err)
	}
}
