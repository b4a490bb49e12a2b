package conn

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
)

type fakeSock struct {
	name   string
	closed *[]string
}

func (s *fakeSock) Close() error { *s.closed = append(*s.closed, s.name); return nil }

func TestListenPair(t *testing.T) {
	inUse := fmt.Errorf("listen: %w", syscall.EADDRINUSE)
	noFamily := errors.New("address family not supported")
	tests := []struct {
		name    string
		port    uint16
		v4, v6  func(port uint16) error // nil: works
		want    string                  // "v4 v6" sockets returned
		wantErr error
		calls   []string
		listens int // checked when calls is nil
		closed  []string
	}{
		{name: "both", port: 51820, want: "v4:51820 v6:51820", calls: []string{"v4:51820", "v6:51820"}},
		{name: "v4 in use", port: 51820, v4: func(uint16) error { return inUse }, wantErr: syscall.EADDRINUSE, calls: []string{"v4:51820"}},
		{name: "unsupported", v4: func(uint16) error { return errors.ErrUnsupported }, wantErr: errors.ErrUnsupported, calls: []string{"v4:0"}},
		{name: "no IPv4", port: 7, v4: func(uint16) error { return noFamily }, want: "- v6:7", calls: []string{"v4:7", "v6:7"}},
		{name: "no IPv4 nor IPv6", port: 7, v4: func(uint16) error { return noFamily }, v6: func(uint16) error { return noFamily }, wantErr: noFamily, calls: []string{"v4:7", "v6:7"}},
		{name: "no IPv6", port: 7, v6: func(uint16) error { return noFamily }, want: "v4:7 -", calls: []string{"v4:7", "v6:7"}},
		{name: "asked port taken for IPv6", port: 7, v6: func(uint16) error { return inUse }, wantErr: syscall.EADDRINUSE,
			calls: []string{"v4:7", "v6:7"}, closed: []string{"v4:7"}},
		{name: "picked port taken for IPv6, retried", v6: func(p uint16) error {
			if p == 1000 {
				return inUse
			}
			return nil
		}, want: "v4:1001 v6:1001", calls: []string{"v4:0", "v6:1000", "v4:0", "v6:1001"}, closed: []string{"v4:1000"}},
		{name: "picked port always taken for IPv6", v6: func(uint16) error { return inUse }, wantErr: syscall.EADDRINUSE, listens: 2 * pairAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls, closed []string
			next := uint16(1000) // the port "the OS" picks for port 0
			listen := func(v6 bool, port uint16) (*fakeSock, uint16, error) {
				fam, fail := "v4", tt.v4
				if v6 {
					fam, fail = "v6", tt.v6
				}
				calls = append(calls, fmt.Sprintf("%s:%d", fam, port))
				if fail != nil {
					if err := fail(port); err != nil {
						return nil, 0, err
					}
				}
				got := port
				if got == 0 {
					got = next
					next++
				}
				name := fmt.Sprintf("%s:%d", fam, got)
				return &fakeSock{name: name, closed: &closed}, got, nil
			}
			v4, v6, actual, err := ListenPair(tt.port, listen)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || v4 != nil || v6 != nil || actual != 0 {
					t.Fatalf("ListenPair = %v, %v, %d, %v; want error %v", v4, v6, actual, err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				name := func(s *fakeSock) string {
					if s == nil {
						return "-"
					}
					return s.name
				}
				if got := name(v4) + " " + name(v6); got != tt.want {
					t.Errorf("sockets %q, want %q", got, tt.want)
				}
			}
			if tt.calls != nil && !slices.Equal(calls, tt.calls) {
				t.Errorf("listens %q, want %q", calls, tt.calls)
			}
			if tt.calls == nil && len(calls) != tt.listens {
				t.Errorf("%d listens, want %d", len(calls), tt.listens)
			}
			if tt.closed != nil && !slices.Equal(closed, tt.closed) {
				t.Errorf("closed %q, want %q", closed, tt.closed)
			}
		})
	}
}
