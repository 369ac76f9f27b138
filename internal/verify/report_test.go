package verify_test

import (
	"github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/verify"
)

func init() { verify.SetRenderText(report.VerificationText) }
