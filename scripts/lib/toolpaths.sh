# shellcheck shell=bash
# Where the Pulumi tools built by scripts/setup-pulumi.sh live. Sourced by that
# script and by .envrc, so both agree without running a build.
# The directory is keyed by the pinned version and a hash of the wrapper
# module's sources, so changing the pin or our language host gives a new build
# while an unchanged checkout reuses the cached one.

sf_repo_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd
}

sf_pulumi_version() {
  # The pin lives in one place: the wrapper module's requirement on pkg/v3.
  sed -n 's#^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\).*#\1#p' \
    "$(sf_repo_root)/tools/pulumi/go.mod" | head -n 1
}

# The cache key of what is read on stdin: builds made from the same inputs share a directory.
sf_content_key() {
  sha256sum | cut -c1-12
}

sf_cache_root() {
  echo "${SOUNDFACTORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/soundfactory-infra}"
}

sf_tools_dir() {
  local root key
  root=$(sf_repo_root)
  key=$(cat "$root/tools/pulumi/go.mod" "$root/tools/pulumi/go.sum" "$root"/tools/pulumi/langhost/*.go \
    | sf_content_key)
  echo "$(sf_cache_root)/pulumi-$(sf_pulumi_version)-$key"
}

# The other pinned Go programs (stripe-mock, actionlint), built by scripts/setup-go-tools.sh
# from the tools/go-tools module; keyed by that module's lock.
sf_go_tools_dir() {
  local root key
  root=$(sf_repo_root)
  key=$(cat "$root/tools/go-tools/go.mod" "$root/tools/go-tools/go.sum" | sf_content_key)
  echo "$(sf_cache_root)/go-tools-$key"
}

# The npm dev tooling (vendor specs, netlify-cli) installed by scripts/setup-node.sh; keyed by
# the npm lock, so fresh clones of one commit share one install instead of each running npm ci.
sf_node_dir() {
  local root key
  root=$(sf_repo_root)
  key=$(cat "$root/package.json" "$root/package-lock.json" | sf_content_key)
  echo "$(sf_cache_root)/node-$key"
}

# The project's virtualenv (scripts/setup-python.sh), keyed by what uv installs from: the
# lock, the project file and the interpreter's version.
sf_venv_dir() {
  local root key
  root=$(sf_repo_root)
  key=$( { cat "$root/uv.lock" "$root/pyproject.toml"; python3 --version 2>&1; } | sf_content_key)
  echo "$(sf_cache_root)/venv-$key"
}

# Points the checkout's LINK at TARGET, inside the cached build DEST (a directory of the
# checkout's own from before the cache gives way), then prunes the builds beside DEST as
# sf_prune_builds does, printing each one it removes.
sf_link_cached() {
  local link=$1 target=$2 dest=$3 pattern=$4 marker=$5
  if [ -d "$link" ] && [ ! -L "$link" ]; then
    rm -rf "$link"
  fi
  ln -sfn "$target" "$link"
  sf_prune_builds "$dest" "$pattern" "$marker"
}

# Marks DEST as the build in use, then removes every other finished build beside it (its name
# matching PATTERN, MARKER present) unused for a day, except the most recently used one, so
# a pin switched back is cheap and a build another checkout is testing with survives.
# Unfinished directories (no MARKER) are left alone: another checkout may be building into
# one right now. Prints each directory it removes.
sf_prune_builds() {
  local dest=$1 pattern=$2 marker=$3 dir kept=0
  touch "$dest"
  while IFS= read -r dir; do
    [ "$dir" = "$dest" ] && continue
    if [ "$kept" -eq 0 ]; then kept=1; continue; fi
    rm -rf -- "$dir"
    printf '%s\n' "$dir"
  done < <(find "$(dirname "$dest")" -mindepth 1 -maxdepth 1 -type d -name "$pattern" -mmin +1440 \
             -exec test -f "{}/$marker" ';' -printf '%T@ %p\n' 2>/dev/null | sort -rn | cut -d' ' -f2-)
}
