package ui

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// page is what every template is given; each page fills its part.
type page struct {
	Title, Message string
	CSRF           string
	Inspector      string
	Expires        time.Time
	Products       []string
	Product        string
	Releases       []*release
	Attestations   []*attestation
	Bad            int
	Release        *release
	Att            *attestation
	Tree           store.Tree
	Root           string
	Checkpoint     string
	LogKey         string
	History        []server.CheckpointRecord
	Query          string
	Searched       bool
	Accesses       []store.Access
	SBOM           *sbomPage
	Findings       []*finding
	Pack           *releasePack
	FindingForm    *findingForm

	rq *request
}

var funcs = template.FuncMap{
	// short is a long digest or key id cut to its start and end; the
	// templates put the full value in a title beside it.
	"short": func(s string) string {
		alg, v, ok := strings.Cut(s, ":")
		if !ok {
			alg, v = "", s
		} else {
			alg += ":"
		}
		if len(v) <= 16 {
			return s
		}
		return alg + v[:12] + "…" + v[len(v)-4:]
	},
	"isSBOM":      isSBOM,
	"hex":         func(h tlog.Hash) string { return hex.EncodeToString(h[:]) },
	"sortColumns": func() []string { return []string{"name", "version", "supplier", "license", "purl"} },
	"percent":     sbomdoc.FormatPercent,
	"join":        strings.Join,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}

func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("ui: parsing %s: %w", n, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes the page name with status; nothing is written unless the
// whole page rendered.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	if rq := pg.rq; rq != nil {
		pg.CSRF, pg.Inspector, pg.Expires = rq.sess.csrf, rq.token.Name, rq.token.Expires
		if pg.Inspector == "" {
			pg.Inspector = "token " + rq.token.ID
		}
	}
	var b bytes.Buffer
	if err := p.pages[name].Execute(&b, pg); err != nil {
		p.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (p *Portal) notFound(w http.ResponseWriter, r *http.Request, rq *request) {
	p.render(w, r, http.StatusNotFound, "error", &page{Title: "Not found", Message: "There is nothing here, or nothing you may see.", rq: rq})
}

func (p *Portal) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	if errors.Is(err, errNotFound) || errors.Is(err, store.ErrNotFound) {
		p.notFound(w, r, rq)
		return
	}
	p.log.Error("portal", "path", r.URL.Path, "err", err)
	p.render(w, r, http.StatusInternalServerError, "error", &page{Title: "Error", Message: "Something went wrong on the server; it has been logged.", rq: rq})
}

// scope is the product of the request's path if the token may see it, or
// errNotFound, the same answer as for a product that does not exist.
func scope(r *http.Request, rq *request) (string, error) {
	product := r.PathValue("product")
	if !slices.Contains(rq.token.Products, product) {
		return "", errNotFound
	}
	return product, nil
}

// indexParam is the {index} of the path; anything but a decimal index is not found.
func indexParam(r *http.Request) (int64, error) {
	s := r.PathValue("index")
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || strconv.FormatInt(v, 10) != s {
		return 0, errNotFound
	}
	return v, nil
}

func (p *Portal) products(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := p.record(r, rq, "", "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "products", &page{Title: "Products", Products: rq.token.Products, rq: rq})
	return nil
}

func (p *Portal) product(w http.ResponseWriter, r *http.Request, rq *request) error {
	product, err := scope(r, rq)
	if err != nil {
		return err
	}
	all, bad, err := p.productEntries(r.Context(), product)
	if err != nil {
		return err
	}
	pg := &page{Title: product, Product: product, Bad: bad, rq: rq}
	for i := len(all) - 1; i >= 0; i-- {
		if rel := asRelease(all[i]); rel != nil {
			pg.Releases = append(pg.Releases, rel)
		}
		pg.Attestations = append(pg.Attestations, all[i])
	}
	if err := p.record(r, rq, product, "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "product", pg)
	return nil
}

// productEntry is the entry {index} of the path's product, decoded.
func (p *Portal) productEntry(r *http.Request, rq *request) (*attestation, error) {
	product, err := scope(r, rq)
	if err != nil {
		return nil, err
	}
	index, err := indexParam(r)
	if err != nil {
		return nil, err
	}
	e, err := p.cfg.Store.Entry(r.Context(), index)
	if err != nil {
		return nil, err
	}
	if e.Product != product {
		return nil, errNotFound
	}
	return decode(e)
}

// productRelease is the release {index} of the path's product.
func (p *Portal) productRelease(r *http.Request, rq *request) (*release, error) {
	a, err := p.productEntry(r, rq)
	if err != nil {
		return nil, err
	}
	rel := asRelease(a)
	if rel == nil {
		return nil, errNotFound
	}
	return rel, nil
}

func (p *Portal) release(w http.ResponseWriter, r *http.Request, rq *request) error {
	rel, err := p.productRelease(r, rq)
	if err != nil {
		return err
	}
	a := rel.attestation
	all, _, err := p.productEntries(r.Context(), a.Product)
	if err != nil {
		return err
	}
	byDigest := map[string]*attestation{}
	for _, e := range all {
		byDigest[e.Digest] = e
	}
	p.receipt(r.Context(), a)
	for i := range rel.Inputs {
		if e := byDigest[rel.Inputs[i].Digest]; e != nil {
			p.receipt(r.Context(), e)
			rel.Inputs[i].Entry = e
		}
	}
	if err := p.record(r, rq, a.Product, "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "release", &page{Title: "Release " + strconv.FormatInt(a.Index, 10), Product: a.Product, Release: rel,
		Findings: findingsOf(rel, all), FindingForm: newFindingForm(rel, rq, p.cfg.Now()), Pack: p.packFor(r.Context(), a.Product, subjectDigests(a)), rq: rq})
	return nil
}

// subjectDigests are the "sha256:HEX" digests of a's subjects.
func subjectDigests(a *attestation) []string {
	out := make([]string, 0, len(a.Subjects))
	for _, s := range a.Subjects {
		out = append(out, s.Digest)
	}
	return out
}

// downloadPack is the evidence pack of a release, as the packs directory
// holds it.
func (p *Portal) downloadPack(w http.ResponseWriter, r *http.Request, rq *request) error {
	rel, err := p.productRelease(r, rq)
	if err != nil {
		return err
	}
	pk := p.packFor(r.Context(), rel.Product, subjectDigests(rel.attestation))
	if pk == nil {
		return errNotFound
	}
	f, err := os.Open(pk.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := p.record(r, rq, rel.Product, "download"); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fmt.Sprintf("%s-release-%d.pack", rel.Product, rel.Index)}))
	io.Copy(w, f)
	return nil
}

func (p *Portal) entry(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := p.productEntry(r, rq)
	if err != nil {
		return err
	}
	p.receipt(r.Context(), a)
	if err := p.record(r, rq, a.Product, "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "entry", &page{Title: "Attestation " + strconv.FormatInt(a.Index, 10), Product: a.Product, Att: a, rq: rq})
	return nil
}

// download is the envelope as logged, one JSON line (.intoto.jsonl).
func (p *Portal) download(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := p.productEntry(r, rq)
	if err != nil {
		return err
	}
	if err := p.record(r, rq, a.Product, "download"); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fmt.Sprintf("%s-%d.intoto.jsonl", a.Product, a.Index)}))
	w.Write(append(a.entry.Envelope, '\n'))
	return nil
}

func (p *Portal) logPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	tree, note, err := p.cfg.Log.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	if err := p.record(r, rq, "", "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "log", &page{Title: "Log", Tree: tree, Root: hex.EncodeToString(tree.Root[:]), Checkpoint: string(note), LogKey: p.cfg.Log.LogVerifier().String(),
		History: p.cfg.Log.CheckpointHistory(), rq: rq})
	return nil
}

func (p *Portal) searchForm(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := p.record(r, rq, "", "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "search", &page{Title: "Search", rq: rq})
	return nil
}

// search is POST /search: the logged attestations of the token's products
// about one artifact digest.
func (p *Portal) search(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := strings.ToLower(strings.TrimSpace(r.PostForm.Get("digest")))
	pg := &page{Title: "Search", Query: q, rq: rq}
	var h tlog.Hash
	if v := strings.TrimPrefix(q, "sha256:"); len(v) != 2*len(h) || func() error { _, err := hex.Decode(h[:], []byte(v)); return err }() != nil {
		pg.Message = "Give a SHA-256 digest: 64 hexadecimal digits, with or without sha256: before them."
		p.render(w, r, http.StatusBadRequest, "search", pg)
		return nil
	}
	es, err := p.cfg.Store.Entries(r.Context(), store.Query{Subject: h, Products: rq.token.Products, After: -1, Limit: 200})
	if err != nil {
		return err
	}
	pg.Searched = true
	for _, e := range es {
		if a, err := decode(e); err == nil {
			pg.Attestations = append(pg.Attestations, a)
		}
	}
	rec := r.Clone(r.Context())
	rec.URL.RawQuery = "digest=sha256:" + hex.EncodeToString(h[:])
	if err := p.record(rec, rq, "", "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "search", pg)
	return nil
}

func (p *Portal) access(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := p.record(r, rq, "", "view"); err != nil {
		return err
	}
	as, err := p.cfg.Store.Accesses(r.Context(), store.AccessQuery{Products: rq.token.Products, TokenID: rq.token.ID, Limit: 500})
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "access", &page{Title: "Access record", Accesses: as, rq: rq})
	return nil
}
