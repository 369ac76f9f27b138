package evidence

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/step"
	"github.com/consign-dev/consign/internal/verify"
)

// Inspector runs an in-toto layout's inspections in Dir (default ".") with
// consign's step recorder: every file under Dir is hashed before the
// command runs (materials) and after (products). The commands are the
// layout author's; give an Inspector to [verify.VerifyLayout] only when the
// verifier chose to run them.
type Inspector struct {
	Dir string
}

var _ verify.Inspector = Inspector{}

// Inspect implements [verify.Inspector]. A command that cannot start or
// exits non-zero is an error naming the command.
func (i Inspector) Inspect(ctx context.Context, name string, command []string) (materials, products map[string]digest.Set, err error) {
	dir := i.Dir
	if dir == "" {
		dir = "."
	}
	rec, err := step.Run(ctx, step.Config{Name: name, Dir: dir, Materials: []string{"."}, Products: []string{"."}, Command: command})
	if err != nil {
		if errors.Is(err, step.ErrCommand) {
			return nil, nil, fmt.Errorf("the inspection command %q failed: %v", strings.Join(command, " "), err)
		}
		return nil, nil, fmt.Errorf("running the inspection: %v", err)
	}
	return digest.Sets(rec.Materials), digest.Sets(rec.Products), nil
}
