// Command trim cuts GitHub's OpenAPI description (api.github.com.json from
// the npm package @octokit/openapi) down to the operations patchline calls
// and the components they reference, without prose, so the fake server in
// forgetest can check requests and responses against it. Run it through
// ../regen.sh, which fetches the package.
//
//	go run ./internal/forge/forgetest/testdata/trim -version 23.0.2 < api.github.com.json > api.github.com.trimmed.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// operations are the calls internal/forge makes: "METHOD path".
var operations = []string{
	"GET /repos/{owner}/{repo}/git/ref/{ref}",
	"POST /repos/{owner}/{repo}/git/refs",
	"GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
	"GET /repos/{owner}/{repo}/git/tags/{tag_sha}",
	"POST /repos/{owner}/{repo}/git/tags",
	"PATCH /repos/{owner}/{repo}/git/refs/{ref}",
	"POST /repos/{owner}/{repo}/git/blobs",
	"GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
	"POST /repos/{owner}/{repo}/git/trees",
	"GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
	"POST /repos/{owner}/{repo}/git/commits",
	"GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
	"GET /repos/{owner}/{repo}/pulls",
	"POST /repos/{owner}/{repo}/pulls",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}",
	"PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
	"POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
	"GET /repos/{owner}/{repo}/issues/{issue_number}",
	"PATCH /repos/{owner}/{repo}/issues/{issue_number}",
	"GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
	"POST /repos/{owner}/{repo}/statuses/{sha}",
	"GET /repos/{owner}/{repo}/contents/{path}",
	"PUT /repos/{owner}/{repo}/contents/{path}",
	"GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
}

// prose are keywords that only document; property names are never dropped.
var prose = map[string]bool{
	"description": true, "summary": true, "example": true, "examples": true,
	"externalDocs": true, "x-github": true, "tags": true, "title": true,
}

func main() {
	version := flag.String("version", "", "the @octokit/openapi version the input comes from")
	flag.Parse()
	if *version == "" {
		fail(fmt.Errorf("-version is required"))
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		fail(fmt.Errorf("read description: %w", err))
	}
	paths := doc["paths"].(map[string]any)
	outPaths := map[string]any{}
	for _, op := range operations {
		method, p, _ := strings.Cut(op, " ")
		item, ok := paths[p].(map[string]any)
		if !ok {
			fail(fmt.Errorf("%s: no such path in the description", op))
		}
		o, ok := item[strings.ToLower(method)]
		if !ok {
			fail(fmt.Errorf("%s: no such operation in the description", op))
		}
		dst, _ := outPaths[p].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			if params, ok := item["parameters"]; ok {
				dst["parameters"] = params
			}
			outPaths[p] = dst
		}
		dst[strings.ToLower(method)] = o
	}
	out := map[string]any{
		"openapi": doc["openapi"],
		"info": map[string]any{
			"title":                     "GitHub v3 REST API, trimmed to the operations patchline calls",
			"version":                   doc["info"].(map[string]any)["version"],
			"x-octokit-openapi-version": *version,
			"x-operations":              operations,
		},
		"paths": strip(outPaths, false),
	}
	// Copy every component the kept operations reach, transitively.
	components := doc["components"].(map[string]any)
	kept := map[string]map[string]any{}
	var queue []string
	collectRefs(outPaths, &queue)
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		kind, name, ok := splitRef(ref)
		if !ok {
			fail(fmt.Errorf("unsupported $ref %q", ref))
		}
		if kept[kind] == nil {
			kept[kind] = map[string]any{}
		}
		if _, done := kept[kind][name]; done {
			continue
		}
		section, _ := components[kind].(map[string]any)
		v, ok := section[name]
		if !ok {
			fail(fmt.Errorf("dangling $ref %q", ref))
		}
		kept[kind][name] = v
		collectRefs(v, &queue)
	}
	outComponents := map[string]any{}
	for kind, m := range kept {
		if kind == "examples" {
			continue
		}
		outComponents[kind] = strip(m, true)
	}
	out["components"] = outComponents
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func splitRef(ref string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, "/")
	return kind, name, ok && !strings.Contains(name, "/")
}

// collectRefs appends every $ref in v that does not point at an example.
func collectRefs(v any, queue *[]string) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "$ref" {
				if s, ok := v[k].(string); ok && !strings.HasPrefix(s, "#/components/examples/") {
					*queue = append(*queue, s)
				}
				continue
			}
			if k == "examples" {
				continue
			}
			collectRefs(v[k], queue)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, queue)
		}
	}
}

// strip drops prose keywords. names is true when v's keys are names chosen
// by the author (properties, components, paths), which are all kept.
func strip(v any, names bool) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if !names && prose[k] {
				continue
			}
			childNames := k == "properties" || k == "responses" || k == "content" || k == "headers" || k == "mapping"
			if names {
				childNames = false
			}
			out[k] = strip(e, childNames)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = strip(e, false)
		}
		return out
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "trim:", err)
	os.Exit(1)
}
