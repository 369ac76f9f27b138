package verify

import (
	"testing"
)

func TestVerifyChainPasses(t *testing.T) {
	c := newChain(t)
	res := mustVerify(t, c.config(t, c.policyYAML("")))
	wantPass(t, res)
	t.Log(res.Text())
}
