#!/usr/bin/env bash
# Installs the coding-agent CLIs that the agent proposer's presets are checked against, at pinned versions, into
# a cache outside the repository, for the end-to-end tests in test/agent-cli-*.test.ts. They are not dependencies
# of the package: users install their own agent. Idempotent: a version already in the cache is not fetched again.
#
#   scripts/install-agent-clis.sh            installs every pinned CLI that is missing (prints one line each)
#   scripts/install-agent-clis.sh list       prints `preset package version program-path installed|missing`
#
# With AUTORESEARCH_AGENT_CLI_VERSIONS=minimum, both work on the oldest versions the presets accept instead (their
# `minimumVersion`), so that the same tests check those: install them, then run the tests with the variable set.
#
# The cache is $AUTORESEARCH_AGENT_CLI_CACHE, else $XDG_CACHE_HOME/autoresearch/agent-clis, else
# ~/.cache/autoresearch/agent-clis; each CLI lives in <package>@<version>/ there (about 150-400 MB each).
set -euo pipefail

# preset  package  checked version  minimum version  program (in node_modules/.bin). The versions are the presets'
# `checkedVersion` and `minimumVersion` (src/mutators/agent-presets.ts); bump them together, and the docs
# (docs/llm-proposers.md).
pinned=(
  "claude-code @anthropic-ai/claude-code 2.1.332 2.1.248 claude"
  "codex @openai/codex 0.171.0 0.160.0 codex"
  "qwen-code @qwen-code/qwen-code 0.24.4 0.24.0 qwen"
)
case "${AUTORESEARCH_AGENT_CLI_VERSIONS:-checked}" in
  checked) column=checked ;;
  minimum) column=minimum ;;
  *)
    echo "scripts/install-agent-clis.sh: expected AUTORESEARCH_AGENT_CLI_VERSIONS to be checked or minimum, got \`$AUTORESEARCH_AGENT_CLI_VERSIONS\`" >&2
    exit 2
    ;;
esac

cache="${AUTORESEARCH_AGENT_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autoresearch/agent-clis}"

usage() {
  echo "usage: scripts/install-agent-clis.sh [list]" >&2
  exit 2
}

[ $# -le 1 ] || usage
mode="${1:-install}"
case "$mode" in install | list) ;; *) usage ;; esac

for entry in "${pinned[@]}"; do
  read -r preset package checked minimum program <<<"$entry"
  version="$checked"
  [ "$column" = minimum ] && version="$minimum"
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
