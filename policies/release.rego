# A custom check for consign policies (see docs/policy.md, "Rego checks").
#
# consign evaluates data.<package>.deny: a set of messages. An empty set
# passes; a message, an undefined deny or an evaluation error fails.
# input.statements are the attestations that counted for the stage the check
# is on, input.chain maps every stage to its counted attestations, and
# input.artifacts are the artifacts being verified.
package consign.release

import rego.v1

# Separation of duties: nobody who signed for the build signs the release.
deny contains msg if {
	some release in input.statements
	some signer in release.signers
	some build in input.chain.build
	some builder in build.signers
	signer.keyId == builder.keyId
	msg := sprintf("%s signed both the build and the release", [signer.functionary])
}

# The release ships exactly the artifacts being verified, no more.
deny contains msg if {
	some release in input.statements
	some name, digest in release.products
	not shipped(digest.sha256)
	msg := sprintf("the release link of %s lists %s, which is not being shipped", [release.source, name])
}

shipped(sha) if {
	some a in input.artifacts
	a.digest.sha256 == sha
}

# The tests ran: at least one passed test is listed.
deny contains msg if {
	some t in input.chain.test
	count(object.get(t.predicate, "passedTests", [])) == 0
	msg := sprintf("%s lists no passed test", [t.source])
}
