package sbomgen

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"

	"github.com/anchore/syft/syft/pkg"
)

// supplier is who supplies a package, as its own metadata says.
type supplier struct {
	name, email string
	org         bool
}

func (s supplier) String() string {
	if s.email == "" {
		return s.name
	}
	if s.name == "" {
		return s.email
	}
	return s.name + " <" + s.email + ">"
}

// supplierOf reads a package's supplier from what its cataloger found: the
// distribution packager or maintainer (Debian, Alpine, Arch, RPM vendor),
// else the author the package declares (Python, npm, Ruby, PHP, R, ...),
// else the vendor in a Java manifest or a Windows version resource. It is
// never a value stamped on every component: a package whose metadata names
// nobody (a Go module, an npm lock entry) has no supplier. The choices
// follow syft's SPDX writer (PackageSupplier), which has the data but
// whose CycloneDX writer leaves the supplier empty.
func supplierOf(p pkg.Package) (supplier, bool) {
	var (
		raw string
		org bool
	)
	switch m := p.Metadata.(type) {
	case pkg.DpkgDBEntry:
		raw = m.Maintainer
	case pkg.DpkgArchiveEntry:
		raw = m.Maintainer
	case pkg.ApkDBEntry:
		raw = m.Maintainer
	case pkg.AlpmDBEntry:
		raw = m.Packager
	case pkg.RpmDBEntry:
		raw, org = m.Vendor, true
	case pkg.RpmArchive:
		raw, org = m.Vendor, true
	case pkg.PythonPackage:
		raw = joinNameEmail(m.Author, m.AuthorEmail)
	case pkg.NpmPackage:
		raw = m.Author
	case pkg.RubyGemspec:
		if len(m.Authors) > 0 {
			raw = m.Authors[0]
		}
	case pkg.PhpComposerLockEntry:
		if len(m.Authors) > 0 {
			raw = joinNameEmail(m.Authors[0].Name, m.Authors[0].Email)
		}
	case pkg.PhpComposerInstalledEntry:
		if len(m.Authors) > 0 {
			raw = joinNameEmail(m.Authors[0].Name, m.Authors[0].Email)
		}
	case pkg.RDescription:
		raw = m.Maintainer
		if raw == "" {
			raw = m.Author
		}
	case pkg.SwiplPackEntry:
		raw = joinNameEmail(m.Packager, m.PackagerEmail)
		if raw == "" {
			raw = joinNameEmail(m.Author, m.AuthorEmail)
		}
	case pkg.LinuxKernelModule:
		raw = m.Author
	case pkg.WordpressPluginEntry:
		raw, org = m.Author, true
	case pkg.VcpkgManifest:
		if len(m.Maintainers) > 0 {
			raw = m.Maintainers[0]
		}
	case pkg.JavaArchive:
		if m.Manifest != nil {
			raw = m.Manifest.Main.MustGet("Specification-Vendor")
			if raw == "" {
				raw = m.Manifest.Main.MustGet("Implementation-Vendor")
			}
			org = true
		}
	case pkg.JavaVMInstallation:
		raw, org = m.Release.Implementor, true
	case pkg.DotnetPortableExecutableEntry:
		raw, org = m.CompanyName, true
	case pkg.PEBinary:
		raw, org = m.VersionResources.MustGet("CompanyName"), true
	case pkg.GitHubActionsUseStatement:
		owner, _, _ := strings.Cut(m.Value, "/")
		if owner == "actions" {
			owner = "GitHub"
		}
		raw, org = owner, true
	case pkg.BitnamiSBOMEntry:
		raw, org = "Bitnami", true
	}
	s := parseNameEmail(raw)
	if s.name == "" && s.email == "" {
		return supplier{}, false
	}
	s.org = org || looksLikeOrganisation(s.name)
	return s, true
}

func joinNameEmail(name, email string) string {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if email == "" || strings.Contains(name, "<") {
		return name
	}
	return strings.TrimSpace(name + " <" + email + ">")
}

// nameEmail matches "Name <email> (url)", each part optional but the name.
var nameEmail = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*([^<>()]*?)\s*(?:<([^<>]*)>)?\s*(?:\(([^()]*)\))?\s*$`)
})

// parseNameEmail splits "Name <email> (url)"; a bare address is an e-mail.
func parseNameEmail(s string) supplier {
	s = strings.TrimSpace(s)
	if s == "" {
		return supplier{}
	}
	m := nameEmail().FindStringSubmatch(s)
	if m == nil {
		return supplier{name: s}
	}
	out := supplier{name: strings.TrimSpace(m[1]), email: strings.TrimSpace(m[2])}
	if out.email == "" && strings.Contains(out.name, "@") && !strings.ContainsAny(out.name, " \t") {
		out.name, out.email = "", out.name
	}
	return out
}

// organisationWords mark a supplier name as an organisation ("GNU Libc
// Maintainers", "The Python Packaging Authority").
var organisationWords = []string{"maintainers", "team", "project", "foundation", "developers", "community", "group",
	"authority", "inc", "inc.", "ltd", "ltd.", "llc", "gmbh", "corporation", "corp", "corp.", "contributors", "authors", "org"}

func looksLikeOrganisation(name string) bool {
	for _, w := range strings.Fields(strings.ToLower(strings.ReplaceAll(name, ",", " "))) {
		for _, o := range organisationWords {
			if w == o {
				return true
			}
		}
	}
	return false
}

// hashesOf returns the digests of a package's own artifact that its
// cataloger found, as algorithm -> lowercase hex: the integrity of an
// npm, yarn or pnpm lock entry (the registry tarball's SRI hash), a Cargo
// lock checksum (the crate), a Composer dist shasum, a Java archive's
// digests. Nothing is computed here, and a digest of something else (a
// go.sum h1: hash is of a file tree, not of an artifact) is not used.
func hashesOf(p pkg.Package) map[string]string {
	out := map[string]string{}
	switch m := p.Metadata.(type) {
	case pkg.NpmPackageLockEntry:
		addSRI(out, m.Integrity)
	case pkg.YarnLockEntry:
		addSRI(out, m.Integrity)
	case pkg.PnpmLockEntry:
		addSRI(out, m.Resolution.Integrity)
	case pkg.RustCargoLockEntry:
		addHex(out, "sha256", m.Checksum)
	case pkg.PhpComposerLockEntry:
		addHex(out, "sha1", m.Dist.Shasum)
	case pkg.PhpComposerInstalledEntry:
		addHex(out, "sha1", m.Dist.Shasum)
	case pkg.JavaArchive:
		for _, d := range m.ArchiveDigests {
			addHex(out, strings.ToLower(d.Algorithm), d.Value)
		}
	}
	return out
}

// hexLengths are the digest lengths, in hex digits, hashesOf accepts.
var hexLengths = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}

func addHex(out map[string]string, alg, value string) {
	value = strings.ToLower(strings.TrimSpace(value))
	n, ok := hexLengths[alg]
	if !ok || len(value) != n {
		return
	}
	if _, err := hex.DecodeString(value); err == nil {
		out[alg] = value
	}
}

// addSRI adds the hashes of a Subresource Integrity value
// ("sha512-BASE64 sha1-BASE64").
func addSRI(out map[string]string, sri string) {
	for _, part := range strings.Fields(sri) {
		alg, b64, ok := strings.Cut(part, "-")
		if !ok {
			continue
		}
		if i := strings.IndexByte(b64, '?'); i >= 0 { // SRI options
			b64 = b64[:i]
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		addHex(out, strings.ToLower(alg), hex.EncodeToString(raw))
	}
}
