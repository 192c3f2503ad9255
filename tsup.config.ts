import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    cli: "src/cli/bin.ts",
    "testing/index": "src/testing/index.ts",
  },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" } },
  target: "node22",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: true,
});
