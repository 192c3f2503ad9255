#!/usr/bin/env bash
# Brings the Node.js versions the project is tested with, from the npm registry (the official builds are
# published there as `node-<platform>-<arch>`), cached between runs. CI and developers use the same script.
#
#   scripts/node.sh 22                 prints the folder of Node 22's `node` (put it first on PATH)
#   scripts/node.sh 24 npm test        runs a command with Node 24 first on PATH
#   scripts/node.sh list               the pinned versions
#
# The cache is $AUTORESEARCH_NODE_CACHE, else $XDG_CACHE_HOME/autoresearch/node, else ~/.cache/autoresearch/node.
# npm itself is not inside these packages: the machine's npm runs on whichever `node` is first on PATH.
set -euo pipefail

# The exact builds tested; bump them together with the docs (docs/dependencies.md).
declare -A pinned=([22]=22.23.5 [24]=24.22.3)

usage() {
  echo "usage: scripts/node.sh <22|24> [command ...]   (or: scripts/node.sh list)" >&2
  exit 2
}

[ $# -ge 1 ] || usage
if [ "$1" = list ]; then
  for major in "${!pinned[@]}"; do echo "$major ${pinned[$major]}"; done | sort -n
  exit 0
fi
major="$1"
shift
version="${pinned[$major]:-}"
if [ -z "$version" ]; then
  echo "scripts/node.sh: expected one of the tested majors (${!pinned[*]}), got \`$major\`" >&2
  exit 2
fi

case "$(uname -s)" in
  Linux) platform=linux ;;
  Darwin) platform=darwin ;;
  *) echo "scripts/node.sh: no Node.js package for $(uname -s); install Node $major yourself" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "scripts/node.sh: no Node.js package for $(uname -m); install Node $major yourself" >&2; exit 2 ;;
esac

cache="${AUTORESEARCH_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autoresearch/node}"
home="$cache/$version-$platform-$arch"

if [ ! -x "$home/bin/node" ]; then
  mkdir -p "$cache"
  staging="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  echo "scripts/node.sh: fetching Node $version ($platform-$arch) into $home" >&2
  # npm verifies the tarball against the registry's integrity hash.
  (cd "$staging" && npm pack --silent "node-$platform-$arch@$version" >/dev/null)
  tar -xzf "$staging"/node-"$platform-$arch"-*.tgz -C "$staging"
  "$staging/package/bin/node" --version >/dev/null
  # Renamed into place in one step, so a concurrent or interrupted fetch never leaves half a Node.
  mv "$staging/package" "$home.partial.$$"
  mv -T "$home.partial.$$" "$home" 2>/dev/null || rm -rf "$home.partial.$$"
fi

if [ $# -eq 0 ]; then
  echo "$home/bin"
  exit 0
fi
export PATH="$home/bin:$PATH"
exec "$@"
