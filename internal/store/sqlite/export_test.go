package sqlite

import "time"

// SetCheckpointing sets, for the tests of one process, how often the
// checkpointer runs, the WAL size in frames past which the WAL is emptied,
// and how long emptying it waits for readers; the returned function
// restores all three.
func SetCheckpointing(every time.Duration, limit int, wait time.Duration) (restore func()) {
	e, l, w := checkpointEvery, walLimit, truncateWait
	checkpointEvery, walLimit, truncateWait = every, limit, wait
	return func() { checkpointEvery, walLimit, truncateWait = e, l, w }
}
