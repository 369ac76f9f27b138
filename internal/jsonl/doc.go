// Package jsonl reads JSON Lines from untrusted input as a stream.
//
// Evidence files (attestations, receipts, bundles) are JSON Lines, or one
// JSON document spread over several lines. Reading them whole and then
// splitting them costs the whole file plus a slice header for every line:
// a file of a gigabyte of newlines, compressed a thousand to one in a
// pack, once cost gigabytes. A [Reader] holds one line at a time, never
// more than [Limits.Line] bytes of it, counts every line it passes (blank
// ones too, without allocating for them) against [Limits.Lines], and names
// the file and line number in every error. It stops reading within a
// chunk once its context ends (at once, when a pipe's read waits), with
// the context's cause as its error.
//
// # Errors
//
// [ErrLineTooLong] and [ErrTooManyLines] both wrap [limits.ErrTooLarge];
// errors of the underlying reader are returned wrapped with the file name.
package jsonl
