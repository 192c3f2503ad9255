#!/usr/bin/env bash
# Installs the coding-agent CLIs that the agent proposer's presets are checked against, at pinned versions, into
# a cache outside the repository, for the end-to-end tests in test/agent-cli-*.test.ts. They are not dependencies
# of the package: users install their own agent. Idempotent: a version already in the cache is not fetched again.
#
#   scripts/install-agent-clis.sh            installs every pinned CLI that is missing (prints one line each)
#   scripts/install-agent-clis.sh list       prints `preset package version program-path installed|missing`
#
# The cache is $AUTORESEARCH_AGENT_CLI_CACHE, else $XDG_CACHE_HOME/autoresearch/agent-clis, else
# ~/.cache/autoresearch/agent-clis; each CLI lives in <package>@<version>/ there (about 150-400 MB each).
set -euo pipefail

# preset  package  version (the exact builds the presets were checked against; bump together with
# src/mutators/agent-presets.ts `checkedVersion` and docs/llm-proposers.md)  program (relative to node_modules/.bin)
pinned=(
  "claude-code @anthropic-ai/claude-code 2.1.332 claude"
  "codex @openai/codex 0.171.0 codex"
  "qwen-code @qwen-code/qwen-code 0.24.4 qwen"
)

cache="${AUTORESEARCH_AGENT_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autoresearch/agent-clis}"

usage() {
  echo "usage: scripts/install-agent-clis.sh [list]" >&2
  exit 2
}

[ $# -le 1 ] || usage
mode="${1:-install}"
case "$mode" in install | list) ;; *) usage ;; esac

for entry in "${pinned[@]}"; do
  read -r preset package version program <<<"$entry"
  home="$cache/$package@$version"
  bin="$home/node_modules/.bin/$program"
  if [ "$mode" = list ]; then
    state=missing
    [ -x "$bin" ] && state=installed
    echo "$preset $package $version $bin $state"
    continue
  fi
  if [ -x "$bin" ]; then
    echo "$package@$version: cached in $home"
    continue
  fi
  started=$SECONDS
  mkdir -p "$(dirname "$home")"
  staging="$(mktemp -d "$home.partial.XXXXXX")"
  # A failed or interrupted install leaves no half-installed CLI behind: the staging folder is renamed into place
  # only once the program has answered --version.
  trap 'rm -rf "$staging"' EXIT
  echo "$package@$version: installing into $home" >&2
  npm install --prefix "$staging" --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
    "$package@$version" >&2
  reported="$("$staging/node_modules/.bin/$program" --version 2>&1 | head -n 1)"
  case "$reported" in
    *"$version"*) ;;
    *)
      echo "$package@$version: \`$program --version\` printed \`$reported\`, expected $version" >&2
      exit 1
      ;;
  esac
  mv -T "$staging" "$home" 2>/dev/null || rm -rf "$staging"
  trap - EXIT
  [ -x "$bin" ] || { echo "$package@$version: $bin is missing after the install" >&2; exit 1; }
  echo "$package@$version: installed in $((SECONDS - started)) s ($(du -sh "$home" | cut -f1))"
done
