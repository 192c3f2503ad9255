import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SandboxPolicy } from "../spec/sandbox.js";
import { detectBubblewrap } from "./bubblewrap.js";
import { wrapCommand } from "./wrap-command.js";

const support = await detectBubblewrap();
// CI installs bubblewrap; a developer without it gets a skip rather than a failure.
const needsBubblewrap = it.skipIf(!support.available && !process.env.CI);

function run(
  policy: SandboxPolicy,
  script: string | string[],
  cwd: string,
  env: Record<string, string> = {},
  inherited: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, ...args] = typeof script === "string" ? ["bash", "-c", script] : script;
  const wrapped = wrapCommand(policy, { file: file as string, args, cwd, env, inherited });
  return new Promise((resolve) => {
    execFile(wrapped.file, wrapped.args, { cwd, env: wrapped.env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout, stderr });
    });
  });
}

// Outside /tmp, which the sandbox replaces with a private one: the checkout must be visible there, read-only.
const scratch = existsSync("/var/tmp") ? "/var/tmp" : tmpdir();
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function layout() {
  const root = mkdtempSync(join(scratch, "autoresearch-sandbox-"));
  roots.push(root);
  const checkout = join(root, "checkout");
  const state = join(checkout, ".autoresearch");
  const worktree = join(state, "tag", "worktrees", "trial");
  mkdirSync(worktree, { recursive: true });
  writeFileSync(join(state, "tag", "ledger.jsonl"), "ledger\n");
  writeFileSync(join(checkout, "train.py"), "user's file\n");
  writeFileSync(join(worktree, "protected.txt"), "protected\n");
  writeFileSync(join(worktree, ".git"), "gitdir: elsewhere\n");
  const policy = (changes: Partial<SandboxPolicy> = {}): SandboxPolicy => ({
    isolation: "bubblewrap",
    bubblewrap: support.available ? support.program : "bwrap",
    mounts: [
      { path: state, access: "hidden" },
      { path: worktree, access: "writable" },
      { path: join(worktree, ".git"), access: "read-only" },
      { path: join(worktree, "protected.txt"), access: "read-only" },
    ],
    network: false,
    environment: ["PATH", "HOME", "LC_*"],
    devices: [],
    ...changes,
  });
  return { root, checkout, state, worktree, policy };
}

describe("wrapCommand", () => {
  it("without bubblewrap keeps the command and filters the environment", () => {
    const wrapped = wrapCommand(
      { isolation: "none", mounts: [], network: false, environment: ["PATH", "LC_*"], devices: [] },
      {
        file: "python",
        args: ["train.py"],
        cwd: "/somewhere",
        env: { AUTORESEARCH_TRIAL: "3" },
        inherited: { PATH: "/bin", LC_ALL: "C", OPENAI_API_KEY: "sk-secret", HOME: "/home/x" },
      },
    );
    expect(wrapped).toEqual({
      file: "python",
      args: ["train.py"],
      env: { PATH: "/bin", LC_ALL: "C", AUTORESEARCH_TRIAL: "3" },
    });
  });

  it("lets a credential-like name through a prefix only when it is listed by its exact name", () => {
    const environment = (allowlist: string[]) =>
      wrapCommand(
        { isolation: "none", mounts: [], network: false, environment: allowlist, devices: [] },
        {
          file: "true",
          args: [],
          cwd: "/",
          inherited: { NVIDIA_VISIBLE_DEVICES: "0", NVIDIA_API_KEY: "nvapi-secret", HF_TOKEN: "hf_secret" },
        },
      ).env;
    expect(environment(["NVIDIA_*", "HF_*"])).toEqual({ NVIDIA_VISIBLE_DEVICES: "0" });
    expect(environment(["NVIDIA_*", "HF_TOKEN"])).toEqual({
      NVIDIA_VISIBLE_DEVICES: "0",
      HF_TOKEN: "hf_secret",
    });
  });

  needsBubblewrap(
    "confines writes to the writable mounts, keeps protected files read-only and hides the state",
    async () => {
      const { checkout, state, worktree, policy } = layout();
      const result = await run(
        policy(),
        [
          "echo made > made.txt && echo worktree-writable",
          "echo changed >> protected.txt || echo protected-refused",
          "rm -f .git 2>/dev/null || echo git-file-kept",
          "echo forged >> ../../ledger.jsonl 2>/dev/null || echo ledger-refused",
          `ls -A ${state}/tag | tr '\\n' ' '; echo`,
          `echo x >> ${checkout}/train.py 2>/dev/null || echo checkout-refused`,
          `echo x > ${checkout}/new.txt 2>/dev/null || echo checkout-new-refused`,
          "echo x > /tmp/private.txt && echo tmp-writable",
          "touch ~/.autoresearch-sandbox-probe 2>/dev/null || echo home-refused",
        ].join("\n"),
        worktree,
      );
      expect(result.stdout.split("\n")).toEqual([
        "worktree-writable",
        "protected-refused",
        "git-file-kept",
        "ledger-refused",
        "worktrees ",
        "checkout-refused",
        "checkout-new-refused",
        "tmp-writable",
        "home-refused",
        "",
      ]);
      expect(readFileSync(join(worktree, "made.txt"), "utf8")).toBe("made\n");
      expect(readFileSync(join(worktree, "protected.txt"), "utf8")).toBe("protected\n");
      expect(readFileSync(join(state, "tag", "ledger.jsonl"), "utf8")).toBe("ledger\n");
      expect(readFileSync(join(checkout, "train.py"), "utf8")).toBe("user's file\n");
      expect(existsSync(join(checkout, "new.txt"))).toBe(false);
      expect(existsSync("/tmp/private.txt")).toBe(false);
    },
  );

  needsBubblewrap(
    "passes only the allowlisted environment and the explicit values, and no capabilities",
    async () => {
      const { worktree, policy } = layout();
      const result = await run(
        policy(),
        ["env"],
        worktree,
        { AUTORESEARCH_TRIAL: "7" },
        {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: "/root",
          LC_ALL: "C",
          AWS_SECRET_ACCESS_KEY: "sentinel-aws-secret",
        },
      );
      const names = result.stdout
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => line.split("=")[0])
        .sort();
      // PWD is bubblewrap's own, for the folder it starts in.
      expect(names).toEqual(["AUTORESEARCH_TRIAL", "HOME", "LC_ALL", "PATH", "PWD", "TMPDIR"]);
      expect(result.stdout).not.toContain("sentinel-aws-secret");
      const capabilities = await run(policy(), ["grep", "CapEff", "/proc/self/status"], worktree);
      expect(capabilities.stdout).toBe("CapEff:\t0000000000000000\n");
    },
  );

  needsBubblewrap(
    "gives the command its own PID namespace, no network and read-only kernel settings",
    async () => {
      const { worktree, policy } = layout();
      const server = createServer((socket) => {
        socket.on("error", () => {});
        socket.end("hello\n");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as { port: number }).port;
      let connections = 0;
      server.on("connection", () => connections++);
      try {
        const script = [
          "ls /proc | grep -c '^[0-9]'",
          `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo reached || echo no-network`,
          "echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || echo sysctl-refused",
        ].join("\n");
        const confined = await run(policy(), script, worktree);
        const [processes, network, sysctl] = confined.stdout.trim().split("\n");
        expect(Number(processes)).toBeLessThan(6);
        expect(network).toBe("no-network");
        expect(sysctl).toBe("sysctl-refused");
        const networked = await run(policy({ network: true }), script, worktree);
        expect(networked.stdout.split("\n")[1]).toBe("reached");
        expect(connections).toBe(1);
      } finally {
        server.close();
      }
    },
  );

  it.skipIf((!support.available && !process.env.CI) || !existsSync("/dev/fuse"))(
    "passes the listed device nodes through",
    async () => {
      const { worktree, policy } = layout();
      const without = await run(policy(), "test -c /dev/fuse && echo present || echo absent", worktree);
      const withDevice = await run(
        policy({ devices: ["/dev/fuse", "/dev/nvidia-missing"] }),
        "test -c /dev/fuse && echo present || echo absent",
        worktree,
      );
      expect([without.stdout.trim(), withDevice.stdout.trim()]).toEqual(["absent", "present"]);
    },
  );

  needsBubblewrap(
    "forbids new user namespaces inside, with which a process could mount its own file over a read-only one",
    async () => {
      expect(support.available && support.disablesUserNamespaces).toBe(true);
      const { policy } = layout();
      // An unprivileged user is the one that can make user namespaces; as root, the test becomes nobody.
      const shared = mkdtempSync(join(scratch, "autoresearch-userns-"));
      roots.push(shared);
      chmodSync(shared, 0o777);
      writeFileSync(join(shared, "eval.txt"), "protected\n");
      const attack =
        "unshare -Urm sh -c 'echo forged > /tmp/f; mount --bind /tmp/f eval.txt; cat eval.txt' 2>/dev/null || echo refused";
      const confined = (disableUserNamespaces: boolean) => {
        const wrapped = wrapCommand(
          {
            ...policy({ disableUserNamespaces }),
            mounts: [
              { path: shared, access: "writable" },
              { path: join(shared, "eval.txt"), access: "read-only" },
            ],
          },
          { file: "sh", args: ["-c", attack], cwd: shared, env: {} },
        );
        const asUser =
          process.getuid?.() === 0
            ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", wrapped.file, ...wrapped.args]
            : [wrapped.file, ...wrapped.args];
        return new Promise<string>((resolve) => {
          execFile(
            asUser[0] as string,
            asUser.slice(1),
            { cwd: shared, env: wrapped.env },
            (_error, stdout) => resolve(stdout.trim()),
          );
        });
      };
      expect(await confined(true)).toBe("refused");
      // The same attack without the lock, to show the test can see it: it reads its own file where user
      // namespaces are allowed to unprivileged users (kernels that forbid them refuse it either way).
      expect(["forged", "refused"]).toContain(await confined(false));
      expect(readFileSync(join(shared, "eval.txt"), "utf8")).toBe("protected\n");
    },
  );
});
