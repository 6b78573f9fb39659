#!/usr/bin/env bash
# Runs every check: formatting, clippy, all tests on SQLite and on a real PostgreSQL and
# Redis started here (throwaway servers on free ports in a temporary directory), and the apps'
# browser tests. Installs what is missing with apt-get / cargo / npm on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# A whole-workspace check gains little from incremental caches, which cost tens of GB of disk;
# set CARGO_INCREMENTAL=1 to keep them while iterating.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# shellcheck source=scripts/services.sh
source scripts/services.sh
install_missing
# CI machines share their disk: each stage says what is left, so a full disk is seen for what it is.
disk() { log "disk: $(df -h --output=avail . | tail -1 | tr -d " ") free${1:+ ($1)}"; }
disk
log "no data/ folder in git"
# data/ holds generated local state such as the development signing key; .gitignore keeps it
# out, and this catches a forced add.
if git ls-files | grep -E '(^|/)data/'; then
  echo "files under a data/ folder are tracked: git rm --cached them" >&2
  exit 1
fi
log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo xtask schema-diff"; cargo xtask schema-diff
disk "after clippy"
start_services
trap 'disk "at the end, PostgreSQL holding $(du -sh "$TEST_TMP/pg" | cut -f1)"; stop_services' EXIT
log "cargo nextest run"
cargo nextest run --workspace --locked --profile ci "$@"
# The storefront and the dashboard in Debian's Chromium against the stack (installs what it needs).
log "browser tests"
examples/e2e/run.sh
