#!/usr/bin/env bash
# Refreshes the vendored GraphiQL files in graphiql/assets/ from the npm registry:
#   graphiql/refresh.sh [graphiql-version] [react-version]
# Each file is stored gzipped (the crate serves them as they are to browsers, which all accept
# gzip), with the packages' licences and the versions in VERSIONS. Source maps are left out.
set -euo pipefail

GRAPHIQL_VERSION="${1:-3.8.3}"
REACT_VERSION="${2:-18.3.1}"
ASSETS="$(cd "$(dirname "$0")" && pwd)/assets"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
for package in graphiql react react-dom; do
  mkdir "$package"
  tar -xzf "$package"-[0-9]*.tgz -C "$package" --strip-components=1
done

rm -f "$ASSETS"/*
vendor() { # source file, name served
  gzip -9 --no-name --stdout "$1" >"$ASSETS/$2.gz"
}
vendor graphiql/graphiql.min.js graphiql.min.js
vendor graphiql/graphiql.min.css graphiql.min.css
vendor react/umd/react.production.min.js react.production.min.js
vendor react-dom/umd/react-dom.production.min.js react-dom.production.min.js
{
  for package in graphiql react react-dom; do
    printf '%s %s\n\n' "$package" "$(node -p "require('./$package/package.json').version")"
    cat "$package"/LICENSE*
    printf '\n\n'
  done
} >"$ASSETS/LICENSES"
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL_VERSION" "$REACT_VERSION" "$REACT_VERSION" >"$ASSETS/VERSIONS"
ls -l "$ASSETS"
