#!/usr/bin/env bash
# Builds the pinned Go programs other than Pulumi -- stripe-mock (the Stripe API contract)
# and actionlint (CI workflow lint) -- from the Go module proxy into a cache directory
# outside the repo. tools/go-tools/go.mod and go.sum are the lock; an unchanged lock is a
# cache hit. Builds unused for a day are removed (sf_prune_builds in lib/toolpaths.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/toolpaths.sh
source "$here/lib/toolpaths.sh"

root=$(sf_repo_root)
dest=$(sf_go_tools_dir)
bin="$dest/bin"
# import path -> binary name
tools=(
  "github.com/stripe/stripe-mock stripe-mock"
  "github.com/rhysd/actionlint/cmd/actionlint actionlint"
)

say() { printf '[setup-go-tools] %s\n' "$*" >&2; }
die() { printf '[setup-go-tools] ERROR: %s\n' "$*" >&2; exit 1; }

prune_old_builds() {
  local dir
  sf_prune_builds "$dest" 'go-tools-*' .complete | while IFS= read -r dir; do say "removing old build $dir"; done
}

if [ -f "$dest/.complete" ]; then
  prune_old_builds
  say "stripe-mock and actionlint ready in $bin (cached)"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed. The project builds stripe-mock and actionlint
  from the Go module proxy: install Go >= 1.25 (Debian: apt-get install golang-go), then run 'make setup' again."

mkdir -p "$dest"
log="$dest/build.log"
: > "$log"
tmp="$bin.partial"
rm -rf "$tmp"; mkdir -p "$tmp"
start=$SECONDS
for entry in "${tools[@]}"; do
  read -r pkg name <<<"$entry"
  say "go build $pkg (log: $log)"
  if ! (cd "$root/tools/go-tools" && GOFLAGS="${GOFLAGS:-} -mod=readonly" \
        go build -trimpath -o "$tmp/$name" "$pkg") >>"$log" 2>&1; then
    tail -n 25 "$log" >&2 || true
    die "building $name failed (log above: $log).
  Check that the Go module proxy is reachable ('go env GOPROXY') and that tools/go-tools/go.mod
  and go.sum are unmodified ('git status tools/go-tools'), then run 'make setup' again."
  fi
done
rm -rf "$bin"; mv "$tmp" "$bin"
touch "$dest/.complete"
prune_old_builds
say "built stripe-mock and actionlint in $((SECONDS - start))s"
