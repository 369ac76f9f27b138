// Package ui is the inspection portal of consign serve --ui: server-rendered
// pages where an inspector, signed in with an inspector token, browses the
// evidence of the products the token is for.
//
// # Pages
//
//	GET  /signin, POST /signin, POST /signout
//	GET  /products                                    the token's products
//	GET  /products/{product}                          its releases (the VSAs logged for it) and attestations
//	GET  /products/{product}/releases/{index}         a release: its verdict, policy, each attestation it read, and findings
//	POST /products/{product}/releases/{index}/findings record an inspector's signed finding (an audit attestation)
//	GET  /products/{product}/entries/{index}          an attestation: signers, time logged, receipt, statement, envelope
//	GET  /products/{product}/entries/{index}/envelope download of the envelope (one JSON line)
//	GET  /products/{product}/entries/{index}/sbom     an SBOM: components (filter, sort), NTIA coverage, changes since the previous SBOM
//	GET  /log                                         the log's checkpoint
//	GET  /search, POST /search                        what the log knows of an artifact digest
//	GET  /access                                      the access record of the token's products
//
// Everything else under /api/ is the server's API, unchanged.
//
// # Security
//
// A release is a SLSA verification summary (VSA) logged for the product; the
// attestations of a release are the logged envelopes whose SHA-256 the VSA
// names among its inputs. Nothing is trusted because an entry says so: the
// pages show what was logged, and verify each receipt against the log's key.
//
// A session is a random id in an HttpOnly, SameSite=Strict cookie (Secure
// over TLS) that maps, in this process's memory, to the hash of the token
// that signed in; the token is read from the store on every request, so a
// revocation or an expiry ends the session at the next page. Every form
// that changes or records anything by POST carries a CSRF token (the
// session's, or before sign-in one bound to a cookie), and a POST without
// the right one is answered 403. The SBOM page's filter is a GET form: it
// changes nothing, and a request from another site carries no session
// cookie (SameSite=Strict), so it is never an inspector's view. A product the
// token is not for is answered exactly as one that does not exist (404).
// Every page view and download is appended to the access record before the
// page is sent; a page whose view cannot be recorded is not shown.
//
// Pages are html/template (contextual escaping), with no script at all and
// a Content-Security-Policy that allows none, frame-ancestors 'none', and
// X-Content-Type-Options: nosniff.
package ui
