package cli

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/term"
)

// readPassword reads a password from the terminal fd without echo, as
// term.ReadPassword does, but returns as soon as ctx is done: a Ctrl-C at
// the prompt cancels ctx (see [withSignals]) while term.ReadPassword, which
// knows no context, would go on waiting for a line, with echo still off.
// The terminal's state from before the prompt is put back first; the read
// left behind ends with the process.
func readPassword(ctx context.Context, fd int, stderr io.Writer) ([]byte, error) {
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	type result struct {
		pw  []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		pw, err := term.ReadPassword(fd)
		done <- result{pw, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(stderr)
		return r.pw, r.err
	case <-ctx.Done():
		term.Restore(fd, state)
		fmt.Fprintln(stderr)
		return nil, context.Cause(ctx)
	}
}
