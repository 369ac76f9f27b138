package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeFlag is a flag of a number of bytes, read as bytes or with a unit
// (768MiB, 1.5GiB, 100KB) and shown in the largest binary unit that
// holds it whole, so that --help reads "769MiB", not "806354944".
type sizeFlag struct{ n *int64 }

// sizeUnits are the units sizeFlag reads, longest suffix first.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

func (f sizeFlag) String() string {
	if f.n == nil {
		return "0"
	}
	n := *f.n
	for _, u := range sizeUnits[:4] {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (f sizeFlag) Set(s string) error {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	if i, err := strconv.ParseInt(num, 10, 64); err == nil {
		if i != 0 && (i > (1<<63-1)/mult || i < -(1<<63-1)/mult) {
			return fmt.Errorf("%q is too large", s)
		}
		*f.n = i * mult
		return nil
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 1 || v != v {
		return fmt.Errorf("%q is not a size: write bytes, or a number with KiB, MiB, GiB, TiB (or KB, MB, GB, TB)", s)
	}
	if b := v * float64(mult); b >= -(1<<63) && b < 1<<63 {
		*f.n = int64(b)
		return nil
	}
	return fmt.Errorf("%q is too large", s)
}

func (sizeFlag) Type() string { return "size" }

// sizeString is n as a size flag shows it.
func sizeString(n int64) string { return sizeFlag{&n}.String() }
