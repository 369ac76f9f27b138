package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sourceDateEpoch reads SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/).
func sourceDateEpoch(deps *Deps) (*time.Time, error) {
	v, ok := deps.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || v == "" {
		return nil, nil
	}
	secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || secs < 0 || secs > 253402300799 {
		return nil, withHint(fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds since 1970", v),
			"set it to a Unix time, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it")
	}
	t := time.Unix(secs, 0).UTC()
	return &t, nil
}
