// Overnight research on the nanochat pretraining target: run from the repository root with
//   npx autoresearch run examples/nanochat/autoresearch.config.ts
// or from inside this folder with `npx autoresearch run`. Needs a CUDA GPU with about 80 GB, `uv`, and the
// data prepared once with `uv run prepare.py`. Plain data, no imports, so the file loads anywhere.
export default {
  tag: "nanochat",
  runner: { command: "uv run train.py", timeoutMs: 600_000 },
  objective: { metric: "val_bpb", direction: "minimize", constraints: { peak_vram_mb: { max: 80_000 } } },
  mutator: { llm: { model: "openai:gpt-5", instructions: "program.md" } },
  scope: { editable: ["train.py"], protected: ["prepare.py", "pyproject.toml"] },
  stop: { maxWallTimeMs: 8 * 3600_000 },
};
