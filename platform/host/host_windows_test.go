package host

import (
	"testing"

	"github.com/wgshim/wgshim/platform/windows"
)

func TestWindowsDrivers(t *testing.T) {
	ds := kernelDrivers()
	if len(ds) != 1 {
		t.Fatalf("kernelDrivers() = %v", ds)
	}
	if _, ok := ds[0].(*windows.Driver); !ok {
		t.Errorf("kernelDrivers()[0] is %T, want *windows.Driver", ds[0])
	}
}
