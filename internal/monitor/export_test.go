package monitor

import "github.com/consign-dev/consign/internal/tlog"

// OpenData is [Open] of a state file that holds data, without the file.
func OpenData(data []byte, server string, key *tlog.Verifier) (*Monitor, error) {
	return open(data, "state.json", server, key)
}
