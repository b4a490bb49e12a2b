package firewall

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/wgshim/wgshim/internal/testenv"
)

// TestEnable adds the kill switch for a made-up LUID and removes it. While
// it runs (well under a second) the machine's traffic outside this test
// binary, loopback, DHCP and NDP is blocked.
func TestEnable(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the kill switch is for 64-bit Windows")
	}
	if !windows.GetCurrentProcessToken().IsElevated() {
		testenv.Skip(t, "needs an elevated administrator")
	}
	const luid = 0x0123_4567_89ab_cdef // no such interface; WFP does not check

	// Twice: Close must release the sublayer for the next Enable.
	for round := range 2 {
		s, err := Enable(Options{TunnelLUID: luid})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}

		// Our sublayer has a fixed key: a second kill switch is refused,
		// and the refusal leaves the first one alone.
		s2, err := Enable(Options{TunnelLUID: luid})
		if err == nil {
			s2.Close()
			t.Error("second Enable succeeded, want FWP_E_ALREADY_EXISTS")
		} else if !errors.Is(err, windows.Errno(fwpEAlreadyExists)) || !strings.Contains(err.Error(), "another kill switch") {
			t.Errorf("second Enable: %v, want FWP_E_ALREADY_EXISTS", err)
		}

		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

func TestEnableErrors(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the kill switch is for 64-bit Windows")
	}
	if _, err := Enable(Options{}); err == nil || !strings.Contains(err.Error(), "LUID is 0") {
		t.Errorf("Enable without LUID: %v", err)
	}
	_, err := Enable(Options{TunnelLUID: 1, Program: `C:\no\such\dir\wgshim.exe`})
	if err == nil || !strings.Contains(err.Error(), "FwpmGetAppIdFromFileName0") {
		t.Errorf("Enable with a missing program: %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Logf("missing program error does not match os.ErrNotExist: %v", err)
	}
}
