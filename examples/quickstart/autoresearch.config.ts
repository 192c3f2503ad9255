// The quickstart's research configuration, read by `autoresearch demo` and `autoresearch run`.
// A plain object with no imports, so it also loads where the package is not installed.
export default {
  tag: "quickstart",
  runner: { command: "node train.js", timeoutMs: 60_000 },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator: {
    searchSpace: {
      file: "config.json",
      space: {
        learning_rate: { type: "float", min: 0.0003, max: 0.1, log: true },
        hidden_size: { type: "int", min: 16, max: 128, log: true },
        embedding_size: { type: "int", min: 4, max: 16 },
        context: { type: "int", min: 2, max: 8 },
        init_scale: { type: "float", min: 0.1, max: 3, log: true },
      },
    },
  },
  scope: { editable: ["config.json"], protected: ["train.js", "package.json", "data/**"] },
  stop: { maxTrials: 10 },
};
