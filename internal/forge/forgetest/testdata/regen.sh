#!/usr/bin/env bash
# Regenerates api.github.com.trimmed.json from GitHub's published OpenAPI
# description, as the npm package @octokit/openapi ships it. Needs npm and Go.
#
#   internal/forge/forgetest/testdata/regen.sh [VERSION]
#
# Add an operation: list it in trim/main.go, rerun, and commit both files.
set -euo pipefail
version="${1:-$(cat "$(dirname "$0")/OPENAPI_VERSION")}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@octokit/openapi@$version" >/dev/null)
tar -xzf "$tmp/octokit-openapi-$version.tgz" -C "$tmp" package/generated/api.github.com.json
(cd "$root" && go run ./internal/forge/forgetest/testdata/trim -version "$version") \
	< "$tmp/package/generated/api.github.com.json" > "$here/api.github.com.trimmed.json"
echo "$version" > "$here/OPENAPI_VERSION"
echo "wrote $here/api.github.com.trimmed.json from @octokit/openapi@$version"
