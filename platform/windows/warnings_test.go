package windows

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		keys Keys
		pol  Policy
		want []string
	}{
		{name: "plain config", keys: Keys{}, want: nil},
		{name: "honoured tables", keys: Keys{Table: "auto"}, want: nil},
		{name: "main", keys: Keys{Table: "main"}, want: nil},
		{name: "off any case", keys: Keys{Table: " Off "}, want: nil},
		{name: "fwmark off", keys: Keys{FwMark: "off"}, want: nil},
		{name: "fwmark zero", keys: Keys{FwMark: "0x0"}, want: nil},
		{
			name: "fwmark",
			keys: Keys{FwMark: "0xca6c"},
			want: []string{`FwMark: "0xca6c" ignored: Windows has no packet marks; the tunnel's own UDP traffic is kept out of the tunnel by endpoint host routes instead`},
		},
		{
			name: "numeric table",
			keys: Keys{Table: "51820"},
			want: []string{`Table: "51820" ignored: Windows has one routing table; routes go to the main table as with Table = auto (use Table = off to add none)`},
		},
		{
			name: "hooks disabled",
			keys: Keys{PostUp: 2, PreDown: 1},
			want: []string{
				"PostUp: 2 commands skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)",
				"PreDown: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)",
			},
		},
		{
			name: "hooks enabled",
			keys: Keys{PreUp: 1},
			pol:  Policy{Hooks: true},
			want: []string{"PreUp: 1 command run by cmd.exe, not bash: bash syntax will not work"},
		},
		{
			name: "everything, in key order",
			keys: Keys{FwMark: "1", Table: "vpn", PreUp: 1, PostUp: 1, PreDown: 1, PostDown: 1},
			want: []string{
				`FwMark: "1" ignored: Windows has no packet marks; the tunnel's own UDP traffic is kept out of the tunnel by endpoint host routes instead`,
				`Table: "vpn" ignored: Windows has one routing table; routes go to the main table as with Table = auto (use Table = off to add none)`,
				"PreUp: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)",
				"PostUp: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)",
				"PreDown: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)",
				"PostDown: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range Warnings(tt.keys, tt.pol) {
				got = append(got, w.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
