import { describe, expect, it } from "vitest";
import { collectSecrets, describeError, redactSecrets } from "./llm-secrets.js";

describe("redactSecrets", () => {
  it("removes known values and anything shaped like a credential", () => {
    const secrets = collectSecrets(["my-own-key-123"], {
      OPENAI_API_KEY: "env-value-abcdef",
      HOME: "/home/user-directory",
    });
    expect(secrets).toEqual(["env-value-abcdef", "my-own-key-123"]);
    const text =
      'key my-own-key-123, env env-value-abcdef, header {"authorization":"Bearer tok_0123456789"}, x-api-key: abcdefgh1, sk-proj-ABCDEFGH12345';
    const redacted = redactSecrets(text, secrets);
    expect(redacted).toBe(
      'key [redacted], env [redacted], header {"authorization":"Bearer [redacted]"}, x-api-key: [redacted], [redacted]',
    );
    expect(redactSecrets("/home/user-directory is fine", secrets)).toBe("/home/user-directory is fine");
  });

  it("describes an error with its status and causes, scrubbed", () => {
    const inner = new Error("socket hang up, key=my-own-key-123");
    const outer = Object.assign(new Error("Request failed", { cause: inner }), { statusCode: 502 });
    expect(describeError(outer, ["my-own-key-123"])).toBe(
      "HTTP 502: Request failed — caused by: socket hang up, key=[redacted]",
    );
  });
});
