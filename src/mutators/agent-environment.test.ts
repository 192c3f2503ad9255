import { describe, expect, it } from "vitest";
import { buildAgentEnvironment } from "./agent-environment.js";

const source = {
  PATH: "/usr/bin",
  HOME: "/home/me",
  LC_ALL: "C.UTF-8",
  HTTPS_PROXY: "http://proxy:3128",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  GITHUB_TOKEN: "gh-token",
  ANTHROPIC_API_KEY: "sk-ant",
  ANTHROPIC_BASE_URL: "http://gateway",
  OPENAI_API_KEY: "sk-openai",
  UNSET: undefined,
};

describe("buildAgentEnvironment", () => {
  it("passes the basics and nothing else by default", () => {
    expect(buildAgentEnvironment({ source })).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/me",
      LC_ALL: "C.UTF-8",
      HTTPS_PROXY: "http://proxy:3128",
    });
  });

  it("adds the provider variables (prefixes included) and the inherited names", () => {
    const env = buildAgentEnvironment({ source, provider: ["ANTHROPIC_*"], inherit: ["GITHUB_TOKEN"] });
    expect(env).toMatchObject({
      ANTHROPIC_API_KEY: "sk-ant",
      ANTHROPIC_BASE_URL: "http://gateway",
      GITHUB_TOKEN: "gh-token",
    });
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it("lets the user's values win over what it picked", () => {
    const env = buildAgentEnvironment({
      source,
      provider: ["ANTHROPIC_*"],
      env: { HOME: "/sandbox", ANTHROPIC_API_KEY: "k" },
    });
    expect(env).toMatchObject({ HOME: "/sandbox", ANTHROPIC_API_KEY: "k" });
  });
});
