// Package sbomdoc reads, checks and compares SBOM documents made by
// anyone. It does not make SBOMs and never links syft: the verifier, the
// evidence pack and every command on the customer's side read SBOMs with
// this package alone (an import-graph test holds it to that).
//
// # Contract
//
// [Decode] reads CycloneDX 1.2–1.7 (JSON, XML), SPDX 2.2–2.3 (JSON,
// tag-value) and SPDX 3.0–3.0.1 (JSON-LD) into one [Document], detecting
// the format from the content.
// [Check] measures a document against the [NTIA minimum elements]
// (supplier, name, version, unique identifiers, dependency relationships,
// author of the SBOM data, timestamp), plus hashes and licences, per
// element as a share of the components, with the components that miss
// each; [Report.Require] makes it a gate. [Diff] lists the components
// added, removed, and changed in version or licence between two SBOMs of
// any formats. Nothing in a [Document] is trusted beyond "the SBOM says
// so": whether an SBOM is signed, and by whom, is the verifier's question.
// [CheckProfile] holds a document to a published definition of an
// acceptable SBOM ([ProfileNTIA], [ProfileCISA], [ProfileBSI],
// [ProfileFSCT]): each element present, missing with the components that
// miss it, or not applicable.
//
// [Validate] checks a document against the rules of its format and
// version: a JSON document against its official JSON Schema (CycloneDX
// 1.2–1.7, SPDX 2.2–2.3, SPDX 3.0–3.0.1 with the model rules its schema
// cannot express; embedded in consign: nothing is fetched), a tag-value
// document against the SPDX tag-value grammar, and any
// document's licence expressions against the SPDX licence list, package
// URLs and CPEs against their grammars, and hashes against their
// algorithms' lengths. Each [Violation] says where it is (a JSON pointer,
// or a tag-value line) and what the rule wants.
//
// # Untrusted input
//
// Everything here reads untrusted input. An SBOM is bounded in size and
// count ([limits.SBOMFile], [limits.SBOMComponents]) before it is decoded,
// its JSON is read strictly (no duplicate keys, valid UTF-8, bounded
// depth), and a panic in a third-party parser becomes an error. On error
// [Decode] returns no document, never a partial one.
//
// # Errors
//
// [Decode] and [Validate] return errors wrapping [ErrUnsupportedFormat] or
// [ErrMalformed]; [Validation.Err] a [*ValidationError], which is
// [ErrInvalid]; [ParseRequirement] one wrapping [ErrUnknownElement];
// [Report.Require] a [*CoverageError], which is [ErrCoverage];
// [CheckProfile] one wrapping [ErrUnknownProfile]; [ProfileResult.Err] a
// [*ProfileError], which is [ErrProfile].
//
// [NTIA minimum elements]: https://www.ntia.gov/report/2021/minimum-elements-software-bill-materials-sbom
package sbomdoc
