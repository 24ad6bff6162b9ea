package advisory

import (
	"fmt"
	"strings"

	"github.com/package-url/packageurl-go"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/patchline/patchline/internal/history"
)

// Package is the product as an advisory names it: a package URL without
// a version, to which each release adds its tag.
type Package struct {
	PURL   string // e.g. pkg:golang/example.com/inventory
	Module string // the Go module path; "" when [advisory] purl names the product
	Name   string // the module path, or the purl's namespace/name
	purl   packageurl.PackageURL
}

// At is the package URL of one release.
func (p Package) At(version string) string {
	v := p.purl
	v.Version = version
	return v.ToString()
}

// Ecosystem is the product's OSV ecosystem: Go for a Go module, else ""
// (OSV has no ecosystem for a vendor's own product).
func (p Package) Ecosystem() string {
	if p.Module != "" {
		return "Go"
	}
	return ""
}

// productOf names the product of a line: [advisory] purl when set, else
// pkg:golang/<module> from the go.mod of the release that carries the fix
// (or, on a line without one, of its newest release).
func productOf(h *history.History, l *Line, configured string) error {
	if configured != "" {
		p, err := packageurl.FromString(configured)
		if err != nil {
			return fmt.Errorf("%w: [advisory] purl %q: %v", ErrNoProduct, configured, err)
		}
		name := p.Name
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
		p.Version = ""
		l.Package = Package{PURL: p.ToString(), Name: name, purl: p}
		return nil
	}
	var at *Release
	switch {
	case l.Fix != nil:
		at = l.Fix
	case len(l.Affected) > 0:
		at = &l.Affected[len(l.Affected)-1]
	default:
		return fmt.Errorf("%w: line %s has no release to read go.mod from", ErrNoProduct, l.Name)
	}
	hint := `set [advisory] purl in .patchline.toml to name a product that is not a Go module, e.g. purl = "pkg:generic/acme/inventory"`
	data, ok, err := h.Reg.Repo.ReadFile(at.hash, "go.mod")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s has no go.mod at its root: %s", ErrNoProduct, at.Tag, hint)
	}
	mod := modfile.ModulePath(data)
	if mod == "" {
		return fmt.Errorf("%w: the go.mod of %s has no module line: %s", ErrNoProduct, at.Tag, hint)
	}
	if err := module.CheckPath(mod); err != nil {
		return fmt.Errorf("%w: the go.mod of %s: %v: %s", ErrNoProduct, at.Tag, err, hint)
	}
	// purl-spec's golang type: the last path element is the name, the rest
	// the namespace; both lower case.
	ns, name := "", mod
	if i := strings.LastIndexByte(mod, '/'); i >= 0 {
		ns, name = mod[:i], mod[i+1:]
	}
	p := packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, "", nil, "")
	if err := p.Normalize(); err != nil {
		return fmt.Errorf("%w: module %s: %v", ErrNoProduct, mod, err)
	}
	l.Package = Package{PURL: p.ToString(), Module: mod, Name: mod, purl: *p}
	return nil
}
