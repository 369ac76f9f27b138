package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/consign-dev/consign/internal/testutil/registrytest"
)

// TestImageScript runs the container image scripts in testdata/image
// against real registries on 127.0.0.1, which the scripts start with
// 'registry'.
func TestImageScript(t *testing.T) {
	t.Parallel()
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// registry VAR ggcr|distribution starts a registry for the
		// script and sets $VAR to its HOST:PORT.
		"registry": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: registry VAR ggcr|distribution")
			}
			switch args[1] {
			case "ggcr":
				srv := httptest.NewServer(registrytest.Handler())
				ts.Defer(srv.Close)
				ts.Setenv(args[0], srv.Listener.Addr().String())
			case "distribution":
				if _, err := os.Stat(registrytest.DistributionBinary); err != nil {
					ts.Fatalf("no distribution registry at %s: apt-get install docker-registry", registrytest.DistributionBinary)
				}
				dir := ts.MkAbs("registry-" + args[0])
				ts.Check(os.MkdirAll(dir, 0o700))
				addr, stop, err := registrytest.StartDistribution(dir)
				ts.Check(err)
				ts.Defer(stop)
				ts.Setenv(args[0], addr)
			default:
				ts.Fatalf("unknown registry %q", args[1])
			}
		},
		// pushimage VAR REF pushes a small random image to REF and sets
		// $VAR to its digest.
		"pushimage": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: pushimage VAR REF")
			}
			d, err := registrytest.Push(args[1])
			ts.Check(err)
			ts.Setenv(args[0], d.String())
		},
		// pushindex VAR REF pushes a random two-platform index to REF and
		// sets $VAR to its digest, $VAR_0 and $VAR_1 to its images'.
		"pushindex": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: pushindex VAR REF")
			}
			d, children, err := registrytest.PushIndex(args[1], 2)
			ts.Check(err)
			ts.Setenv(args[0], d.String())
			for i, c := range children {
				ts.Setenv(fmt.Sprintf("%s_%d", args[0], i), c.String())
			}
		},
	}
	for k, v := range scriptCmds {
		cmds[k] = v
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/image",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		ContinueOnError:     true,
		Cmds:                cmds,
		Setup: func(env *testscript.Env) error {
			isolateHome(env)
			env.Setenv("DOCKER_CONFIG", env.WorkDir+"/.docker")
			env.Setenv("CONSIGN_PASSWORD", "")
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return checkMessages(env)
		},
	})
}
