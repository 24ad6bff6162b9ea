// Package patchline holds the files patchline ships inside its binary: the
// built-in templates, the demo's sample product and its example patch.
package patchline

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed templates
var templates embed.FS

// Sample is the demo's sample product, a txtar archive of its files.
//
//go:embed testdata/sample.txtar
var Sample []byte

// Examples holds the example patches of patches/, which the demo applies.
//
//go:embed patches
var Examples embed.FS

// Template returns the text of a template: the product repository's own
// templates/<name> when root has one, else the built-in one.
func Template(root, name string) (string, error) {
	if root != "" {
		data, err := os.ReadFile(filepath.Join(root, "templates", name))
		if err == nil {
			return string(data), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read template: %w", err)
		}
	}
	data, err := templates.ReadFile("templates/" + name)
	if err != nil {
		return "", fmt.Errorf("no built-in template %s: %w", name, err)
	}
	return string(data), nil
}
