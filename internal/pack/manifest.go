package pack

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// FormatV1 is the packFormat of the packs this package writes and reads.
const FormatV1 = "https://consign.dev/pack/v1"

// ManifestName is the pack's first entry.
const ManifestName = "manifest.json"

// MaxManifestSize bounds manifest.json.
const MaxManifestSize = 16 << 20

// Roles of the files of a pack.
const (
	RolePolicy       = "policy"
	RoleAttestations = "attestations"
	RoleReceipts     = "receipts"
	RoleCheckpoint   = "checkpoint"
	RoleConsistency  = "consistency"
	RoleSBOM         = "sbom"
	RoleVSA          = "vsa"
	RoleArtifact     = "artifact"
	// RoleTrustedRoot is a Sigstore trusted root that the signed policy
	// names by digest, for its keyless identities; one whose digest the
	// policy does not name is never used.
	RoleTrustedRoot = "trusted-root"
)

var roles = []string{RolePolicy, RoleAttestations, RoleReceipts, RoleCheckpoint, RoleConsistency, RoleSBOM, RoleVSA, RoleArtifact, RoleTrustedRoot}

// Entry types in a manifest.
const (
	TypeFile    = "file"
	TypeSymlink = "symlink"
)

// Manifest is manifest.json: what a pack holds. It is not signed; reading a
// pack checks every file against it, and verification trusts only what the
// signed policy and the signed attestations say.
type Manifest struct {
	Format string `json:"packFormat"`
	// Product is the policy's product; Release names this release.
	Product string `json:"product"`
	Release string `json:"release"`
	// Policy is the path of the signed policy in the pack.
	Policy string `json:"policy"`
	// Artifacts are what ships: each must be a subject of the policy's
	// final stage. Path is set when the artifact itself is in the pack.
	Artifacts []Artifact `json:"artifacts"`
	// Files lists every entry but manifest.json, sorted by path.
	Files []File `json:"files"`
}

// Artifact is one shipped artifact.
type Artifact struct {
	Name   string     `json:"name"`
	Digest digest.Set `json:"digest"`
	Size   int64      `json:"size,omitempty"`
	Path   string     `json:"path,omitempty"`
}

// File is one entry of a pack.
type File struct {
	Path string `json:"path"`
	Role string `json:"role"`
	Type string `json:"type"`
	// Mode is the permission bits in octal ("0644"); never setuid, setgid
	// or sticky.
	Mode   string `json:"mode"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// Target is a symbolic link's target, relative to its directory.
	Target string `json:"target,omitempty"`
}

// Perm is the file's mode.
func (f *File) Perm() fs.FileMode {
	m, _ := strconv.ParseUint(f.Mode, 8, 32)
	return fs.FileMode(m)
}

// ModeString formats permission bits as a manifest writes them.
func ModeString(m fs.FileMode) string { return fmt.Sprintf("%04o", uint32(m.Perm())) }

// Marshal encodes the manifest deterministically, indented, with a final
// newline.
func (m *Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// File returns the manifest's entry for path, or nil.
func (m *Manifest) File(path string) *File {
	i, ok := slices.BinarySearchFunc(m.Files, path, func(f File, p string) int { return strings.Compare(f.Path, p) })
	if !ok {
		return nil
	}
	return &m.Files[i]
}

// ParseManifest reads manifest.json strictly: no duplicate or unknown keys,
// the format this package knows, files sorted and unique with valid names,
// roles, types, modes, sizes and digests, and artifacts with valid digests
// whose included copies are files of the pack. It returns an error wrapping
// [ErrManifest].
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrManifest, len(data), MaxManifestSize)
	}
	if err := attest.CheckJSON(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the manifest's JSON object", ErrManifest)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	return &m, nil
}

func (m *Manifest) validate() error {
	if m.Format != FormatV1 {
		return fmt.Errorf("packFormat %q: this consign reads %q", m.Format, FormatV1)
	}
	if m.Product == "" {
		return errors.New("no product")
	}
	names := newNameSet()
	if err := names.add(ManifestName); err != nil {
		return err
	}
	for i := range m.Files {
		f := &m.Files[i]
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return fmt.Errorf("files are not sorted by path, or list %q twice", f.Path)
		}
		if err := CheckName(f.Path); err != nil {
			return err
		}
		if err := names.add(f.Path); err != nil {
			return err
		}
		if !slices.Contains(roles, f.Role) {
			return fmt.Errorf("%s: unknown role %q", f.Path, f.Role)
		}
		mode, err := strconv.ParseUint(f.Mode, 8, 32)
		if err != nil || len(f.Mode) != 4 || mode&^0o777 != 0 {
			return fmt.Errorf("%s: mode %q is not four octal digits of permission bits (a pack never carries setuid, setgid or sticky files)", f.Path, f.Mode)
		}
		switch f.Type {
		case TypeFile:
			if f.Size < 0 {
				return fmt.Errorf("%s: size %d", f.Path, f.Size)
			}
			if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 || strings.ToLower(f.SHA256) != f.SHA256 {
				return fmt.Errorf("%s: sha256 %q is not 64 lowercase hex digits", f.Path, f.SHA256)
			}
			if f.Target != "" {
				return fmt.Errorf("%s: a file has no target", f.Path)
			}
		case TypeSymlink:
			if f.Size != 0 || f.SHA256 != "" {
				return fmt.Errorf("%s: a symbolic link has no size or digest of its own", f.Path)
			}
			if _, err := resolveLink(f.Path, f.Target); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: type %q (want %q or %q)", f.Path, f.Type, TypeFile, TypeSymlink)
		}
	}
	// Every name is known: the parents of an entry are directories, never
	// files or links (no writing through a link, security case 42 (docs/security.md)).
	for _, f := range m.Files {
		for dir := parent(f.Path); dir != ""; dir = parent(dir) {
			if m.File(dir) != nil {
				return fmt.Errorf("%s: its parent %s is a file or link", f.Path, dir)
			}
		}
	}
	pol := m.File(m.Policy)
	if pol == nil || pol.Role != RolePolicy || pol.Type != TypeFile {
		return fmt.Errorf("policy %q is not a policy file of the pack", m.Policy)
	}
	if len(m.Artifacts) == 0 {
		return errors.New("no artifacts: a pack is about what ships")
	}
	// Every artifact file is one of the artifacts, which verification
	// checks; nothing ships in a pack unverified. There is one policy.
	referenced := map[string]bool{}
	for _, a := range m.Artifacts {
		if a.Path != "" {
			if referenced[a.Path] {
				return fmt.Errorf("%s is the file of two artifacts", a.Path)
			}
			referenced[a.Path] = true
		}
	}
	for _, f := range m.Files {
		switch {
		case f.Role == RoleArtifact && !referenced[f.Path]:
			return fmt.Errorf("%s is an artifact file that no artifact of the manifest names", f.Path)
		case f.Role == RolePolicy && f.Path != m.Policy:
			return fmt.Errorf("%s is a second policy file", f.Path)
		}
	}
	for _, a := range m.Artifacts {
		if a.Name == "" {
			return errors.New("an artifact without a name")
		}
		if !a.Digest.Strong() || a.Digest.Validate() != nil {
			return fmt.Errorf("artifact %q: no valid sha256, sha384 or sha512 digest", a.Name)
		}
		if a.Path == "" {
			continue
		}
		f := m.File(a.Path)
		if f == nil || f.Role != RoleArtifact || f.Type != TypeFile {
			return fmt.Errorf("artifact %q: %q is not an artifact file of the pack", a.Name, a.Path)
		}
		if sha := a.Digest[digest.SHA256]; sha != f.SHA256 {
			return fmt.Errorf("artifact %q: sha256 %q, but its file %s has %s", a.Name, sha, a.Path, f.SHA256)
		}
		if a.Size != f.Size {
			return fmt.Errorf("artifact %q: size %d, but its file %s has %d", a.Name, a.Size, a.Path, f.Size)
		}
	}
	return nil
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}
