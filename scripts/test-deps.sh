#!/usr/bin/env bash
# Installs the tests' npm packages (today the certified OpenID provider of the SSO tests,
# tests/oidc) from the npm registry, exactly as package-lock.json pins them, when they are
# missing or older than the lock file. Without Node the SSO tests skip in one line saying so.
set -u
cd "$(dirname "$0")/.."

dir=tests/oidc
if ! command -v npm >/dev/null; then
  echo "npm is missing: the SSO tests will be skipped (install Node.js 20 or later to run them)" >&2
  exit 0
fi
if [ ! -f "$dir/node_modules/.package-lock.json" ] \
  || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error \
    || { echo "npm ci in $dir failed: the SSO tests will be skipped" >&2; exit 0; }
fi
