package bench

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/format/cyclonedxjson"

	"github.com/consign-dev/consign/internal/sbomgen"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// The SBOM benchmarks scan one target, named by $CONSIGN_SBOM_BENCH_TARGET,
// exactly once per process, and write the CycloneDX JSON SBOM to
// $CONSIGN_SBOM_BENCH_OUT. sbom.sh runs each in a process of its own under
// /usr/bin/time (go test -run '^$' -bench '^BenchmarkSBOMSyft$'
// -benchtime 1x), so that wall time, CPU time and peak memory are those of
// one whole scan; both live in this one test binary, so that neither has a
// different build, runtime or start-up to thank for its numbers.

func sbomBenchEnv(b *testing.B) (target, out string) {
	b.Helper()
	target, out = os.Getenv("CONSIGN_SBOM_BENCH_TARGET"), os.Getenv("CONSIGN_SBOM_BENCH_OUT")
	if target == "" || out == "" {
		b.Fatal("set CONSIGN_SBOM_BENCH_TARGET and CONSIGN_SBOM_BENCH_OUT (bench/sbom.sh does)")
	}
	return target, out
}

// BenchmarkSBOMSyft is syft as a library with its default configuration,
// as its documentation shows it: GetSource, CreateSBOM, and the CycloneDX
// JSON encoder at its default version.
func BenchmarkSBOMSyft(b *testing.B) {
	target, out := sbomBenchEnv(b)
	for b.Loop() {
		ctx := context.Background()
		src, err := syft.GetSource(ctx, target, nil)
		if err != nil {
			b.Fatal(err)
		}
		s, err := syft.CreateSBOM(ctx, src, nil)
		if err != nil {
			b.Fatal(err)
		}
		enc, err := cyclonedxjson.NewFormatEncoderWithConfig(cyclonedxjson.DefaultEncoderConfig())
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := enc.Encode(&buf, *s); err != nil {
			b.Fatal(err)
		}
		if err := src.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSBOMConsign is 'consign sbom TARGET': consign's defaults.
func BenchmarkSBOMConsign(b *testing.B) { benchConsign(b, false) }

// BenchmarkSBOMConsignGoToolchain is 'consign sbom --go-toolchain TARGET':
// consign's defaults but syft's golang.use-packages-lib, the evidence for
// leaving it off.
func BenchmarkSBOMConsignGoToolchain(b *testing.B) { benchConsign(b, true) }

func benchConsign(b *testing.B, useGo bool) {
	target, out := sbomBenchEnv(b)
	for b.Loop() {
		res, err := sbomgen.Generate(context.Background(), sbomspec.Config{Target: target, UseGoToolchain: useGo})
		if err != nil {
			b.Fatal(err)
		}
		data, err := res.Encode(sbomspec.DefaultFormat)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
