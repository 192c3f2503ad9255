// Overnight research on the nanochat pretraining target: run from the repository root with
//   npx autoresearch run examples/nanochat/autoresearch.config.ts
// or from inside this folder with `npx autoresearch run`. Needs a CUDA GPU with about 80 GB, `uv`, and the
// data prepared once with `uv run prepare.py`. Plain data, no imports, so the file loads anywhere.
//
// train.py runs in the research's sandbox (docs/security.md): no network, the file system read-only but for the
// trial worktree and a private /tmp. So uv uses the environment `uv run prepare.py` made in this folder as it is
// (read-only, never synced), the FlashAttention-3 kernel comes from the Hugging Face cache prepare.py filled, and
// the compilers' caches live in the run's own /tmp.
export default {
  tag: "nanochat",
  runner: {
    command: "uv run --offline --no-sync train.py",
    timeoutMs: 600_000,
    env: {
      UV_PROJECT_ENVIRONMENT: new URL(".venv", import.meta.url).pathname,
      UV_CACHE_DIR: "/tmp/uv-cache",
      HF_HUB_OFFLINE: "1",
      TRITON_CACHE_DIR: "/tmp/triton-cache",
      TORCHINDUCTOR_CACHE_DIR: "/tmp/torchinductor-cache",
    },
  },
  objective: {
    metric: "val_bpb",
    direction: "minimize",
    constraints: { peak_vram_mb: { max: 80_000 } },
    // The training loss against the share of the time budget used, from train.py's progress line: each run's
    // learning curve, in the ledger and the report.
    progress: { pattern: "\\((?<progress>[\\d.]+)%\\) \\| loss: (?<value>[\\d.]+)" },
  },
  // A run whose loss is 2% worse than the median of the kept runs' at the same share of the budget, from 30% on,
  // is stopped there: it frees the GPU for the next idea (docs/parallel.md).
  earlyStopping: { minProgress: 30, margin: 0.02 },
  // One slot per GPU, each seeing only its own; proposals are made while the GPUs run, so they never wait for the
  // model (a proposal made ahead does not know the latest result yet).
  gpus: "auto",
  proposeAhead: 2,
  mutator: { llm: { model: "openai:gpt-5", instructions: "program.md" } },
  scope: { editable: ["train.py"], protected: ["prepare.py", "pyproject.toml"] },
  stop: { maxWallTimeMs: 8 * 3600_000 },
  // Where the Hugging Face cache is, when you moved it.
  sandbox: { env: ["HF_HOME", "HF_HUB_CACHE"] },
};
