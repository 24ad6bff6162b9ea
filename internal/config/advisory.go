package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/patchline/patchline/internal/textsafe"
)

// advisory checks [advisory]: a package URL without a version (each
// advisory adds the release's), a publisher name in plain text, and an
// absolute http(s) URL for the namespace.
func (k *checker) advisory(c *Config) {
	if k.str(c.Advisory.PURL, "advisory", "purl") {
		if why := badPURL(c.Advisory.PURL); why != "" {
			k.bad(k.doc.ValuePos("advisory", "purl"), fmt.Sprintf("advisory.purl %q %s", c.Advisory.PURL, why),
				"a package URL without a version, pkg:<type>/<namespace>/<name>, e.g. "+examples["advisory.purl"])
		}
	}
	if k.str(c.Advisory.Publisher, "advisory", "publisher") {
		if at, r, ok := textsafe.FindControl(c.Advisory.Publisher, false); ok {
			k.bad(k.doc.ValuePos("advisory", "publisher"), fmt.Sprintf("advisory.publisher has a control character (%U) at character %d", r, at),
				"write the name as plain text, e.g. "+examples["advisory.publisher"])
		}
	}
	if k.str(c.Advisory.Namespace, "advisory", "namespace") {
		u, err := url.Parse(c.Advisory.Namespace)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			k.bad(k.doc.ValuePos("advisory", "namespace"), fmt.Sprintf("advisory.namespace %q is not an http(s) URL", c.Advisory.Namespace),
				"the publisher's web address, e.g. "+examples["advisory.namespace"])
		}
	}
}

// badPURL says what is wrong with a product's package URL, or returns "".
func badPURL(s string) string {
	p, err := packageurl.FromString(s)
	switch {
	case err != nil:
		return "is not a package URL: " + strings.TrimPrefix(err.Error(), "purl ")
	case p.Version != "":
		return fmt.Sprintf("names a version (@%s): drop it, each advisory adds the version of every release it lists", p.Version)
	case p.Subpath != "":
		return fmt.Sprintf("has a subpath (#%s): name the whole product", p.Subpath)
	}
	return ""
}
