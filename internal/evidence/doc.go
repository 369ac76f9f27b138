// Package evidence loads from the file system what a verification reads,
// so that the verification engine ([verify]) does no I/O of its own: the
// attestation files and directories, the transparency-log receipts kept
// beside them, the artifacts named on a command line, a verifier's rollback
// state, and the in-toto inspections a layout asks to run.
//
// # Why a package of its own
//
// [verify] is the engine: bytes and keys in, a result out. The commands
// that verify (verify, pack) need the same loading, and the pack's
// customer-side verification (verify-pack) reads everything from the pack
// instead, so the loading belongs with neither the engine nor one command.
// It is not a sub-package of verify because it depends on verify (it
// produces [verify.Input] and implements [verify.StateStore] and
// [verify.Inspector]), never the other way round; the name says what it
// loads: the evidence a release is judged on.
//
// # Trust
//
// Nothing here decides what is trusted. Files are read with size limits
// ([limits.AttestationFile], [limits.JSONFile]); what they hold is checked
// by the engine. Directories are walked without following symbolic links.
package evidence
