#!/usr/bin/env bash
# Provides the pinned Pulumi CLI, our Python language host and the SDK's launcher
# scripts in a cache directory outside the repo (see scripts/lib/toolpaths.sh).
#
# - A `pulumi` already on PATH is used when it is at least the pinned version and
#   comes with a pulumi-language-python beside it.
# - Otherwise the pinned release is built from the Go module proxy through the
#   wrapper module in tools/pulumi (go.mod/go.sum are the lock).
# - A second run with the same pin is a cache hit and takes well under a second.
# - Each build is ~200 MB: finished builds unused for a day, other than this one and the
#   one used before it (by mtime), are removed, so a pin change can still be switched back
#   cheaply, and a checkout on another branch (another language host, so another build)
#   that set up today keeps its build while its tests run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/toolpaths.sh
source "$here/lib/toolpaths.sh"

root=$(sf_repo_root)
version=$(sf_pulumi_version)
dest=$(sf_tools_dir)
bin="$dest/bin"

say() { printf '[setup-pulumi] %s\n' "$*" >&2; }
die() { printf '[setup-pulumi] ERROR: %s\n' "$*" >&2; exit 1; }

[ -n "$version" ] || die "no pulumi/pkg/v3 requirement found in tools/pulumi/go.mod; restore that file from git."

# Our launchers (tools/pulumi/launchers) replace the SDK's: its dynamic-provider launcher
# outlives a killed CLI. Copied on every run, so changing one needs no rebuild.
# Replaced by a rename, so an engine starting a provider meanwhile (another checkout's tests
# share this build) finds the old launcher or the new one, never none or half of one.
install_launchers() {
  local launcher name
  for launcher in "$root"/tools/pulumi/launchers/*; do
    name=$(basename "$launcher")
    if ! cmp -s "$launcher" "$bin/$name"; then
      install -m 0755 "$launcher" "$bin/.$name.$$"
      mv -f "$bin/.$name.$$" "$bin/$name"
    fi
  done
}

# Keeps this build, the one used before it and any used within a day (sf_prune_builds).
prune_old_toolchains() {
  local dir
  sf_prune_builds "$dest" 'pulumi-*' .complete | while IFS= read -r dir; do
    say "removing old toolchain build $dir"
  done
}

if [ -f "$dest/.complete" ]; then
  install_launchers
  prune_old_toolchains
  say "Pulumi $version ready in $bin (cached)"
  exit 0
fi

version_at_least() { # $1 >= $2, both dotted numbers
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

mkdir -p "$bin"

ambient=$(command -v pulumi 2>/dev/null || true)
case "$ambient" in "$bin"/*) ambient="";; esac
if [ -n "$ambient" ]; then
  ambient_version=$("$ambient" version 2>/dev/null | sed 's/^v//' || true)
  ambient_dir=$(dirname "$(readlink -f "$ambient")")
  if [ -n "$ambient_version" ] && version_at_least "$ambient_version" "$version" \
     && [ -x "$ambient_dir/pulumi-language-python" ]; then
    say "using pulumi $ambient_version from $ambient_dir (pinned: $version)"
    for tool in "$ambient_dir"/pulumi*; do ln -sf "$tool" "$bin/"; done
    install_launchers
    touch "$dest/.complete"
    prune_old_toolchains
    exit 0
  fi
  say "ignoring pulumi ${ambient_version:-of unknown version} at $ambient: need >= $version with pulumi-language-python beside it"
fi

if ! command -v go >/dev/null 2>&1; then
  die "Go is not installed, and no pulumi >= $version is on PATH.
  The project builds the pinned Pulumi CLI from the Go module proxy. Install Go >= 1.25
  (Debian: apt-get install golang-go; or the toolchain from your platform), or put
  pulumi >= $version and its pulumi-language-python on PATH, then run 'make setup' again."
fi

log="$dest/build.log"
: > "$log"
say "building Pulumi $version with $(go version | cut -d' ' -f3) into $bin"
say "a cold build downloads ~300 modules and compiles for several minutes; log: $log"

# Stream a heartbeat so a long, quiet compile does not look like a hang.
start=$SECONDS
heartbeat() {
  # sleep must not hold our stderr open, or a caller reading it waits out the nap.
  while sleep 30 </dev/null >/dev/null 2>&1; do
    say "... still building ($((SECONDS - start))s, $(grep -c . "$log" 2>/dev/null || echo 0) log lines)"
  done
}
heartbeat &
beat=$!
trap 'kill $beat 2>/dev/null || true' EXIT

build() {
  local out=$1 pkg=$2 ldflags=$3
  say "go build $pkg"
  (cd "$root/tools/pulumi" && GOFLAGS="${GOFLAGS:-} -mod=readonly" \
    go build -v -trimpath -ldflags "$ldflags" -o "$out" "$pkg") >>"$log" 2>&1
}

fail() {
  tail -n 25 "$log" >&2 || true
  die "building $1 failed (full log above: $log).
  Check that the Go module proxy is reachable ('go env GOPROXY GOSUMDB GOFLAGS') and that
  tools/pulumi/go.mod and go.sum are unmodified ('git status tools/pulumi'), then run 'make setup' again."
}

tmp="$bin.partial"
rm -rf "$tmp"; mkdir -p "$tmp"
build "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" || fail "the pulumi CLI"
build "$tmp/pulumi-language-python" ./langhost "-X main.version=$version" || fail "the python language host"

# The launcher scripts ship inside the sdk/v3 module the build just fetched.
sdk_dir=$(cd "$root/tools/pulumi" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3) \
  || fail "locating the sdk/v3 module"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$tmp/"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$tmp/"

rm -rf "$bin"; mv "$tmp" "$bin"
install_launchers
touch "$dest/.complete"
prune_old_toolchains
say "built Pulumi $version in $((SECONDS - start))s: $("$bin/pulumi" version)"
