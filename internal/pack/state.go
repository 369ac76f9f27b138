package pack

import (
	"fmt"

	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// checkLogState refuses a pack whose log checkpoint is older than the
// largest one of the same log already verified in a pack of product: a
// pack made against an earlier state of the log (an older release, or a
// stale copy of a newer one) is a rollback, [verify.ErrRollback]; one of
// the same size with another root is a fork, [tlog.ErrFork]. The first
// error is that verdict, the second a state that could not be read.
//
// The checkpoint counts only once it verified with the log key the signed
// policy names; a checkpoint of another log (a policy that moved to a new
// log) is not compared.
func checkLogState(store verify.StateStore, product string, cp *tlog.Checkpoint) (verdict, err error) {
	st, _, err := store.Load(product)
	if err != nil {
		return nil, err
	}
	mark := logMark(cp)
	if last := st.Log; last.Origin == mark.Origin {
		switch {
		case mark.Size < last.Size:
			return fmt.Errorf("%w: the pack's log checkpoint (%d entries) is older than one already verified in a pack of %q (%d entries of log %s)",
				verify.ErrRollback, mark.Size, product, last.Size, last.Origin), nil
		case mark.Size == last.Size && mark.Root != last.Root:
			return fmt.Errorf("%w: the pack's log checkpoint and one already verified in a pack of %q both have %d entries, with different roots",
				tlog.ErrFork, product, mark.Size), nil
		}
	}
	return nil, nil
}

// rememberLog keeps cp as the product's log mark, once its pack verified:
// a pack that failed moves nothing forward. A checkpoint of another log
// replaces the old log's ([verify.State.Merge]).
func rememberLog(store verify.StateStore, product string, cp *tlog.Checkpoint) error {
	return store.Save(product, verify.State{Log: logMark(cp)})
}

func logMark(cp *tlog.Checkpoint) verify.LogMark {
	return verify.LogMark{Origin: cp.Origin, Size: cp.Size, Root: cp.Root.String()}
}
