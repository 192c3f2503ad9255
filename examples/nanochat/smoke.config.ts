// The research loop on the smoke profile: a tiny CPU run of the same train.py, no GPU and no API key. The
// proposer is a search over four hyperparameters of train.py instead of a model. From the repository root, after
// `scripts/setup-python.sh` (which puts a CPU PyTorch in <repository>/.venv):
//   node dist/cli.js run examples/nanochat/smoke.config.ts
// Runs start in the trial worktree, which holds only tracked files; the virtualenv is untracked, so the command
// reaches it in your checkout through AUTORESEARCH_ROOT (the repository's root there).
export default {
  tag: "nanochat-smoke",
  runner: {
    command: '"$AUTORESEARCH_ROOT/.venv/bin/python" train.py',
    env: { AUTORESEARCH_PROFILE: "smoke", PYTHONDONTWRITEBYTECODE: "1" },
    timeoutMs: 300_000,
  },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator: {
    searchSpace: {
      file: "train.py",
      space: {
        MATRIX_LR: { type: "float", min: 0.005, max: 0.2, log: true },
        EMBEDDING_LR: { type: "float", min: 0.05, max: 2, log: true },
        WEIGHT_DECAY: { type: "float", min: 0, max: 0.4 },
        WARMDOWN_RATIO: { type: "float", min: 0, max: 0.8 },
      },
    },
  },
  scope: { editable: ["train.py"], protected: ["prepare.py", "pyproject.toml"] },
  stop: { maxTrials: 4 },
};
