import { describe, expect, it } from "vitest";
import { collectSecrets, redactDeep, redactSecrets, redactValues, urlPasswords } from "./secret-values.js";

describe("collectSecrets", () => {
  it("finds credentials by the names people give them, and passwords in URLs, by value", () => {
    const env = {
      AWS_SECRET_ACCESS_KEY: "aws-secret-0123456789",
      AZURE_OPENAI_KEY: "azure-key-0123456789",
      GH_PAT: "ghp_0123456789abcdef",
      HF_TOKEN: "hf_0123456789abcdef",
      DB_PASSWORD: "db-password-1234",
      GOOGLE_CREDENTIALS_JSON: '{"private_key":"pk-0123456789"}',
      DATABASE_URL: "postgres://app:url-password-99@db.internal:5432/app",
      // Not secrets: ordinary names, and values too short to mask without masking ordinary text.
      HOME: "/home/someone-long",
      PATH: "/usr/bin:/bin",
      TOKENIZERS_PARALLELISM: "false",
      GIT_AUTHOR_EMAIL: "someone@example.invalid",
      SHORT_KEY: "abc",
    };
    expect(collectSecrets(["given-key-123456", "short", undefined], env).sort()).toEqual(
      [
        "aws-secret-0123456789",
        "azure-key-0123456789",
        "ghp_0123456789abcdef",
        "hf_0123456789abcdef",
        "db-password-1234",
        '{"private_key":"pk-0123456789"}',
        "url-password-99",
        "given-key-123456",
      ].sort(),
    );
  });

  it("orders secrets longest first, so one containing another is replaced whole", () => {
    const secrets = collectSecrets(["abcdefgh", "abcdefgh-and-more"], {});
    expect(secrets).toEqual(["abcdefgh-and-more", "abcdefgh"]);
    expect(redactValues("x abcdefgh-and-more y abcdefgh", secrets)).toBe("x [redacted] y [redacted]");
  });

  it("reads URL passwords out of any text", () => {
    expect(urlPasswords("a https://u:p4ssw0rd@h/x and redis://:other-pass@cache:6379")).toEqual([
      "p4ssw0rd",
      "other-pass",
    ]);
  });
});

describe("redaction", () => {
  it("masks URL passwords even when they were not known", () => {
    expect(redactSecrets("cloning https://bot:ghp_unknown123@github.com/x.git", [])).toBe(
      "cloning https://bot:[redacted]@github.com/x.git",
    );
  });

  it("redacts every string of a record, deeply, and leaves the rest as it is", () => {
    const record = {
      id: 3,
      reason: "crashed: token s3cr3t-value leaked",
      metrics: { loss: 1.5 },
      proposer: { metadata: { notes: ["s3cr3t-value", 2, null] } },
      run: null,
    };
    expect(redactDeep(record, ["s3cr3t-value"])).toEqual({
      id: 3,
      reason: "crashed: token [redacted] leaked",
      metrics: { loss: 1.5 },
      proposer: { metadata: { notes: ["[redacted]", 2, null] } },
      run: null,
    });
    expect(record.reason).toContain("s3cr3t-value");
  });
});
