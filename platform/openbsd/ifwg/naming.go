package ifwg

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// ifNameSize is IFNAMSIZ: names are at most 15 bytes plus NUL.
const ifNameSize = 16

// DescriptionPrefix starts the interface description wg-quick(8) puts on
// the wgN it creates for a configuration.
const DescriptionPrefix = "wg-quick: "

var (
	unitName   = regexp.MustCompile(`^wg(0|[1-9][0-9]*)$`)
	configName = regexp.MustCompile(`^[a-zA-Z0-9_=+.-]{1,15}$`)
)

// IsUnitName reports whether name is a wg(4) interface name: "wg" and a
// unit number up to INT_MAX without leading zeros (if_clone_lookup
// refuses larger units, and the kernel names the interface "wg%d", so
// "wg01" would come back as "wg1").
func IsUnitName(name string) bool {
	if !unitName.MatchString(name) {
		return false
	}
	_, err := strconv.ParseInt(name[2:], 10, 32)
	return err == nil
}

// ValidConfigName reports whether name is acceptable to wg-quick(8) as a
// configuration name: 1-15 of [a-zA-Z0-9_=+.-].
func ValidConfigName(name string) bool { return configName.MatchString(name) }

// Description is the interface description that tags the wgN created
// for configuration name.
func Description(name string) string { return DescriptionPrefix + name }

// PickUnit returns the lowest "wgN" not in existing, as wg-quick(8)
// does with the names `wg show interfaces` lists.
func PickUnit(existing []string) (string, error) {
	for n := 0; ; n++ {
		name := "wg" + strconv.Itoa(n)
		if len(name) >= ifNameSize {
			return "", errors.New("no free wgN interface name")
		}
		if !slices.Contains(existing, name) {
			return name, nil
		}
	}
}

// Iface is an interface name with its description.
type Iface struct {
	Name        string
	Description string
}

// FindByDescription returns the first wgN in ifaces whose description is
// exactly Description(name), the way wg-quick(8) finds the interface of
// a configuration on OpenBSD.
func FindByDescription(ifaces []Iface, name string) (string, bool) {
	want := Description(name)
	for _, i := range ifaces {
		if IsUnitName(i.Name) && i.Description == want {
			return i.Name, true
		}
	}
	return "", false
}

func checkName(name string) error {
	if !IsUnitName(name) && !ValidConfigName(name) {
		return fmt.Errorf("invalid name %q: want wgN or a configuration name of 1-15 characters [a-zA-Z0-9_=+.-]", name)
	}
	return nil
}
