package nv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Type is a libnv pair type code (sys/sys/nv.h, nv_impl.h).
type Type uint8

// Pair types as they appear on the wire.
const (
	TypeNull            Type = 1
	TypeBool            Type = 2
	TypeNumber          Type = 3
	TypeString          Type = 4
	TypeList            Type = 5
	TypeDescriptor      Type = 6 // userland only; never accepted here
	TypeBinary          Type = 7
	TypeBoolArray       Type = 8
	TypeNumberArray     Type = 9
	TypeStringArray     Type = 10
	TypeListArray       Type = 11
	TypeDescriptorArray Type = 12 // userland only; never accepted here

	typeArrayNext Type = 254 // NV_TYPE_NVLIST_ARRAY_NEXT: closes an array element
	typeUp        Type = 255 // NV_TYPE_NVLIST_UP: closes a nested list
)

var typeNames = [...]string{
	TypeNull:            "null",
	TypeBool:            "bool",
	TypeNumber:          "number",
	TypeString:          "string",
	TypeList:            "nvlist",
	TypeDescriptor:      "descriptor",
	TypeBinary:          "binary",
	TypeBoolArray:       "bool-array",
	TypeNumberArray:     "number-array",
	TypeStringArray:     "string-array",
	TypeListArray:       "nvlist-array",
	TypeDescriptorArray: "descriptor-array",
}

func (t Type) String() string {
	switch {
	case t == typeArrayNext:
		return "array-next-marker"
	case t == typeUp:
		return "up-marker"
	case int(t) < len(typeNames) && typeNames[t] != "":
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Limits of the format and of this implementation.
const (
	// MaxNameLen is the longest name libnv accepts (NV_NAME_MAX - 1, the
	// wire namesize counts the NUL).
	MaxNameLen = 2047
	// MaxDepth bounds list nesting. libnv has no limit; this one keeps the
	// recursive encoder and printer bounded. if_wg uses depth 2.
	MaxDepth = 64

	headerLen     = 19 // struct nvlist_header, packed
	pairHeaderLen = 19 // struct nvpair_header, packed
	markerLen     = pairHeaderLen + 1
)

var (
	// ErrNotFound is wrapped by getters when the name is absent.
	ErrNotFound = errors.New("not found")
	// ErrType is wrapped by getters when the pair has another type.
	ErrType = errors.New("wrong type")
	// ErrMalformed is wrapped by every decoding error.
	ErrMalformed = errors.New("malformed packed nvlist")
)

// A List is an ordered libnv nvlist with unique names. The zero value is an
// empty list ready to use. Add methods record the first invalid addition
// (bad name, duplicate, empty binary or array) and ignore later ones; the
// error is reported by Err and by Encode, as libnv's nvlist_error does.
type List struct {
	pairs []pair
	index map[string]int // built once the list is long enough
	err   error
	order binary.ByteOrder
}

type pair struct {
	name string
	typ  Type
	v    any // nil, bool, uint64, string, []byte, *List, []bool, []uint64, []string, []*List
}

const indexThreshold = 8

// New returns an empty list.
func New() *List { return &List{} }

// Err reports the first invalid addition, if any.
func (l *List) Err() error { return l.err }

// Len is the number of pairs.
func (l *List) Len() int { return len(l.pairs) }

// Names returns the pair names in order.
func (l *List) Names() []string {
	names := make([]string, len(l.pairs))
	for i, p := range l.pairs {
		names[i] = p.name
	}
	return names
}

// TypeOf returns the type of the pair called name.
func (l *List) TypeOf(name string) (Type, bool) {
	i := l.find(name)
	if i < 0 {
		return 0, false
	}
	return l.pairs[i].typ, true
}

// Has reports whether a pair called name exists, whatever its type.
func (l *List) Has(name string) bool { return l.find(name) >= 0 }

// Order is the byte order l was decoded from, or nil for a built list.
func (l *List) Order() binary.ByteOrder { return l.order }

func (l *List) find(name string) int {
	if l.index != nil {
		if i, ok := l.index[name]; ok {
			return i
		}
		return -1
	}
	for i := range l.pairs {
		if l.pairs[i].name == name {
			return i
		}
	}
	return -1
}

// add appends a pair after checking the rules libnv's creation functions
// and nvlist_move_nvpair enforce. It returns the failure for the decoder.
func (l *List) add(name string, typ Type, v any) error {
	if err := checkName(name); err != nil {
		return err
	}
	if l.find(name) >= 0 {
		return errors.New("duplicate name")
	}
	l.pairs = append(l.pairs, pair{name: name, typ: typ, v: v})
	if l.index == nil && len(l.pairs) >= indexThreshold {
		l.index = make(map[string]int, 2*len(l.pairs))
		for i, p := range l.pairs {
			l.index[p.name] = i
		}
	} else if l.index != nil {
		l.index[name] = len(l.pairs) - 1
	}
	return nil
}

func (l *List) addChecked(name string, typ Type, v any, valueErr string) *List {
	if l.err != nil {
		return l
	}
	var err error
	if valueErr != "" {
		err = errors.New(valueErr)
	} else {
		err = l.add(name, typ, v)
	}
	if err != nil {
		l.err = fmt.Errorf("nv: add %s %q: %w", typ, truncName(name), err)
	}
	return l
}

func checkName(name string) error {
	switch {
	case len(name) > MaxNameLen:
		return fmt.Errorf("name is %d bytes, longer than %d", len(name), MaxNameLen)
	case strings.IndexByte(name, 0) >= 0:
		return errors.New("name contains a NUL byte")
	}
	return nil
}

func truncName(name string) string {
	if len(name) > 64 {
		return name[:64] + "…"
	}
	return name
}

// AddNull adds a NULL pair.
func (l *List) AddNull(name string) *List { return l.addChecked(name, TypeNull, nil, "") }

// AddBool adds a BOOL pair.
func (l *List) AddBool(name string, v bool) *List { return l.addChecked(name, TypeBool, v, "") }

// AddNumber adds a NUMBER pair.
func (l *List) AddNumber(name string, v uint64) *List {
	return l.addChecked(name, TypeNumber, v, "")
}

// AddString adds a STRING pair; v must not contain NUL.
func (l *List) AddString(name, v string) *List {
	return l.addChecked(name, TypeString, v, stringErr(v))
}

func stringErr(v string) string {
	if strings.IndexByte(v, 0) >= 0 {
		return "string contains a NUL byte"
	}
	return ""
}

// AddBinary adds a BINARY pair holding a copy of v, which must not be
// empty (libnv cannot encode an empty binary).
func (l *List) AddBinary(name string, v []byte) *List {
	if len(v) == 0 {
		return l.addChecked(name, TypeBinary, nil, "empty binary")
	}
	return l.addChecked(name, TypeBinary, append([]byte(nil), v...), "")
}

// AddList adds a nested NVLIST. The child is stored by reference: later
// changes to it are encoded too.
func (l *List) AddList(name string, child *List) *List {
	if child == nil {
		return l.addChecked(name, TypeList, nil, "nil list")
	}
	if child == l {
		return l.addChecked(name, TypeList, nil, "list added to itself")
	}
	return l.addChecked(name, TypeList, child, "")
}

// AddListArray adds an NVLIST_ARRAY of at least one list, stored by
// reference. libnv cannot encode an empty array: omit the key instead.
func (l *List) AddListArray(name string, elems []*List) *List {
	if len(elems) == 0 {
		return l.addChecked(name, TypeListArray, nil, "empty array")
	}
	for _, e := range elems {
		if e == nil {
			return l.addChecked(name, TypeListArray, nil, "nil list in array")
		}
		if e == l {
			return l.addChecked(name, TypeListArray, nil, "list added to itself")
		}
	}
	return l.addChecked(name, TypeListArray, append([]*List(nil), elems...), "")
}

// AddBoolArray adds a BOOL_ARRAY of at least one value.
func (l *List) AddBoolArray(name string, v []bool) *List {
	if len(v) == 0 {
		return l.addChecked(name, TypeBoolArray, nil, "empty array")
	}
	return l.addChecked(name, TypeBoolArray, append([]bool(nil), v...), "")
}

// AddNumberArray adds a NUMBER_ARRAY of at least one value.
func (l *List) AddNumberArray(name string, v []uint64) *List {
	if len(v) == 0 {
		return l.addChecked(name, TypeNumberArray, nil, "empty array")
	}
	return l.addChecked(name, TypeNumberArray, append([]uint64(nil), v...), "")
}

// AddStringArray adds a STRING_ARRAY of at least one NUL-free string.
func (l *List) AddStringArray(name string, v []string) *List {
	if len(v) == 0 {
		return l.addChecked(name, TypeStringArray, nil, "empty array")
	}
	for _, s := range v {
		if e := stringErr(s); e != "" {
			return l.addChecked(name, TypeStringArray, nil, e)
		}
	}
	return l.addChecked(name, TypeStringArray, append([]string(nil), v...), "")
}

// get returns the value of name if it has type want.
func (l *List) get(name string, want Type) (any, error) {
	i := l.find(name)
	if i < 0 {
		return nil, fmt.Errorf("nv: %q: %w", truncName(name), ErrNotFound)
	}
	if p := l.pairs[i]; p.typ != want {
		return nil, fmt.Errorf("nv: %q: is %s, want %s: %w", truncName(name), p.typ, want, ErrType)
	}
	return l.pairs[i].v, nil
}

// GetNull reports whether name is a NULL pair.
func (l *List) GetNull(name string) error {
	_, err := l.get(name, TypeNull)
	return err
}

// GetBool returns the BOOL pair called name.
func (l *List) GetBool(name string) (bool, error) {
	v, err := l.get(name, TypeBool)
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// GetNumber returns the NUMBER pair called name.
func (l *List) GetNumber(name string) (uint64, error) {
	v, err := l.get(name, TypeNumber)
	if err != nil {
		return 0, err
	}
	return v.(uint64), nil
}

// GetString returns the STRING pair called name.
func (l *List) GetString(name string) (string, error) {
	v, err := l.get(name, TypeString)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// GetBinary returns the BINARY pair called name. The slice is shared with
// the list.
func (l *List) GetBinary(name string) ([]byte, error) {
	v, err := l.get(name, TypeBinary)
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// GetList returns the nested NVLIST called name.
func (l *List) GetList(name string) (*List, error) {
	v, err := l.get(name, TypeList)
	if err != nil {
		return nil, err
	}
	return v.(*List), nil
}

// GetListArray returns the NVLIST_ARRAY called name (never empty).
func (l *List) GetListArray(name string) ([]*List, error) {
	v, err := l.get(name, TypeListArray)
	if err != nil {
		return nil, err
	}
	return v.([]*List), nil
}

// GetBoolArray returns the BOOL_ARRAY called name.
func (l *List) GetBoolArray(name string) ([]bool, error) {
	v, err := l.get(name, TypeBoolArray)
	if err != nil {
		return nil, err
	}
	return v.([]bool), nil
}

// GetNumberArray returns the NUMBER_ARRAY called name.
func (l *List) GetNumberArray(name string) ([]uint64, error) {
	v, err := l.get(name, TypeNumberArray)
	if err != nil {
		return nil, err
	}
	return v.([]uint64), nil
}

// GetStringArray returns the STRING_ARRAY called name.
func (l *List) GetStringArray(name string) ([]string, error) {
	v, err := l.get(name, TypeStringArray)
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}
