"""Every test runs the smoke profile against a private cache, prepared once per session (no network)."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
CACHE_ROOT = tempfile.mkdtemp(prefix="nanochat-test-cache-")

# prepare.py reads these at import, so they must be set before any test imports it.
os.environ["AUTORESEARCH_PROFILE"] = "smoke"
os.environ["AUTORESEARCH_CACHE_DIR"] = CACHE_ROOT
os.environ.pop("AUTORESEARCH_TIME_BUDGET", None)
os.environ.pop("AUTORESEARCH_BASE_URL", None)
sys.path.insert(0, str(EXAMPLE_DIR))

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _remove_cache():
    yield
    shutil.rmtree(CACHE_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def prepared():
    import prepare

    prepare.ensure_prepared()
    return prepare


@pytest.fixture(scope="session")
def tokenizer(prepared):
    return prepared.Tokenizer.from_directory()


def smoke_env(**extra):
    env = dict(os.environ)
    env.update({"AUTORESEARCH_PROFILE": "smoke", "AUTORESEARCH_CACHE_DIR": CACHE_ROOT, "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env
