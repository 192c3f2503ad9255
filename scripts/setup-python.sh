#!/usr/bin/env bash
# Creates <repo>/.venv with what examples/nanochat needs to run its smoke profile and tests on a CPU:
# torch (CPU), numpy, pyarrow, tiktoken, regex, pytest.
#
# Order of preference:
#   1. pip, from whatever index pip is configured to use (a local wheel mirror on the project's machines);
#   2. Debian's packages (python3-torch 1.13 and friends) seen through a venv with --system-site-packages,
#      topped up with pip where it can (tiktoken, pyarrow); the example has pure-Python fallbacks for both.
# Idempotent: when .venv already imports everything, it returns at once.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="$venv/bin/python"
# An unreachable default index should cost one failed connection per package, not five with back-off.
pip_flags=(--disable-pip-version-check --retries 0 --timeout 30 --quiet)

required_modules="torch numpy regex pytest"
optional_modules="pyarrow tiktoken"

# Imports the given modules; prints a one-line report and succeeds only when all of them import.
check() {
  [ -x "$python" ] || return 1
  "$python" - "$@" <<'PY'
import importlib, sys
parts, missing = [], []
for name in ("torch", "numpy", "pyarrow", "tiktoken", "regex", "pytest"):
    try:
        module = importlib.import_module(name)
        parts.append(f"{name} {getattr(module, '__version__', '?')}")
    except ImportError:
        parts.append(f"{name} (absent)")
        missing.append(name)
print("python env: " + ", ".join(parts))
sys.exit(1 if set(missing) & set(sys.argv[1:]) else 0)
PY
}

if check $required_modules $optional_modules; then
  exit 0
fi

install_with_pip() {
  [ -x "$python" ] || python3 -m venv "$venv"
  # pip warns about every index that lacks a package; those lines say nothing useful here.
  "$python" -m pip install "${pip_flags[@]}" "torch>=2.0" numpy pyarrow tiktoken regex pytest \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

install_with_debian() {
  echo "pip could not provide torch; falling back to Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv python3-torch python3-numpy python3-regex python3-pytest \
    libopenblas0-pthread >/dev/null
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  # Not packaged by Debian 12; the example works without them (JSONL shards, pure-Python BPE encoder).
  "$python" -m pip install "${pip_flags[@]}" tiktoken pyarrow || echo "tiktoken/pyarrow not installed; using fallbacks" >&2
}

if ! install_with_pip || ! check $required_modules >/dev/null; then
  install_with_debian
fi

check $required_modules || { echo "setup-python: the environment is still missing one of: $required_modules" >&2; exit 1; }
