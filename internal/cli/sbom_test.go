package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomspec"
)

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLine{w: &buf}
	p.update(sbomspec.Progress{Phase: sbomspec.PhaseIndexing, Files: 12345, Elapsed: 3200 * time.Millisecond})
	p.update(sbomspec.Progress{Phase: sbomspec.PhaseIndexing, Elapsed: 100 * time.Millisecond})
	p.update(sbomspec.Progress{Phase: sbomspec.PhaseCataloguing, Files: 12345, Packages: 1056, Elapsed: 4 * time.Second})
	p.update(sbomspec.Progress{Phase: sbomspec.PhaseLicences, Packages: 1056, Step: 3, Steps: 12, Elapsed: 5 * time.Second})
	p.update(sbomspec.Progress{Phase: sbomspec.PhaseEncoding, Packages: 1056, Step: 1, Steps: 2, Elapsed: 6 * time.Second})
	p.update(sbomspec.Progress{Done: true})
	want := "\r\x1b[Kindexing 12,345 files, 3.2s" +
		"\r\x1b[Kindexing, 0.1s" +
		"\r\x1b[Kcataloguing 1,056 packages, 4.0s" +
		"\r\x1b[Klicences of Go modules: 3 of 12, 5.0s" +
		"\r\x1b[Kencoding 1,056 packages: 1 of 2 outputs, 6.0s" +
		"\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("progress line = %q, want %q", got, want)
	}
}

func TestCommas(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := commas(in); got != want {
			t.Errorf("commas(%d) = %q, want %q", in, got, want)
		}
	}
}
