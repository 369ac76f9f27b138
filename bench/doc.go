// Package bench holds consign's performance benchmarks, which compare it
// with the tools it replaces. It has no code of its own: the benchmarks are
// in its _test.go files, their fixtures are built once in $CONSIGN_BENCH_DIR
// (default /tmp/consign-bench), and record.sh runs them next to sha256sum
// and openssl. See README.md for the method and the last measured numbers.
package bench
