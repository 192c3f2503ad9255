import type { AgentOutputFormat } from "./agent-output.js";
import type { AgentStateFolder } from "./agent-state.js";

/**
 * Command lines for coding-agent CLIs. Claude Code, Codex and Qwen Code are run end to end against their real
 * programs in this project's tests (test/agent-cli-*.test.ts, with fake model servers); aider is not (it cannot be
 * installed on the test machines) and stays as written from its documentation. docs/llm-proposers.md says why
 * each flag is there.
 */

export type AgentPresetName = "claude-code" | "codex" | "qwen-code" | "aider";

/** What a preset's command line is built from. */
export interface AgentInvocationSettings {
  model: string | undefined;
  /** The model server to use instead of the agent's default. */
  baseURL: string | undefined;
  /** Retries of a failed model request the agent may make. */
  maxRetries: number;
  /** How long the agent waits for a model server to start answering a request. */
  connectTimeoutMs: number;
  /** The agent's environment before the preset's own variables: read, e.g., to find a key. */
  env: Readonly<Record<string, string>>;
  /** A file holding the prompt, outside the worktree. */
  promptFile: string;
  /** A scratch folder outside the worktree, removed after the proposal. */
  tempDirectory: string;
  /** Whether the research's sandbox confines the agent (then an agent's own sandbox, which needs kernel features
   * the outer one withholds, is left off: the outer one is stricter). */
  sandboxed: boolean;
  /** Lists the editable files that exist (relative paths), for agents that must be told which files to edit. */
  editableFiles: () => Promise<string[]>;
}

export interface AgentInvocation {
  /** Options, after the program; `extraArgs` follow them. */
  args: string[];
  /** Arguments after `extraArgs` (e.g. Codex's `-`, aider's files). */
  trailingArgs?: string[];
  /** Variables the preset sets; the user's `env` still wins. */
  env?: Record<string, string>;
  /** Whether the prompt goes to standard input (otherwise the arguments refer to `promptFile`). */
  promptOnStdin: boolean;
}

export interface AgentPreset {
  /** The program looked up on PATH. */
  program: string;
  /** How to install it, for the message when it is not on PATH or too old. */
  install: string;
  /** The oldest version the preset's flags work with; an older program gets a warning. */
  minimumVersion: string;
  /** The version the preset was last run against end to end, if it ever was. */
  checkedVersion: string | undefined;
  /** Variables passed through from this process when set (a trailing `*` matches a prefix). */
  providerEnvironment: readonly string[];
  /** How the agent's standard output is read. */
  output: AgentOutputFormat;
  /**
   * For agents that retry an unreachable server for minutes without saying so: the harness stops one whose
   * output stays silent for `connectTimeoutMs` (its stream shows every chunk of the model's answer).
   */
  stopWhenSilent?: boolean;
  /** The agent's configuration folder, which it must be able to write (sandboxed, a private copy of it). */
  state?: AgentStateFolder;
  invocation(settings: AgentInvocationSettings): AgentInvocation | Promise<AgentInvocation>;
}

const modelArgs = (model: string | undefined): string[] => (model ? ["--model", model] : []);

// Claude Code: print mode reading the prompt from stdin (no argv limit); a stream of JSON events, read live and
// carrying the usage and cost; edits accepted without asking; the file tools only (`--tools` is what limits the
// set the model is offered, `--allowedTools` only pre-approves); restricted mode keeps the file tools inside the
// working directory and ignores settings files, which could add hooks; no MCP servers from the user's
// configuration; no session files left behind. Bounded retries and a time limit on each request's first byte.
const claudeCode: AgentPreset = {
  program: "claude",
  install: "npm install -g @anthropic-ai/claude-code",
  minimumVersion: "2.1.248",
  checkedVersion: "2.1.332",
  providerEnvironment: [
    "ANTHROPIC_*",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CONFIG_DIR",
    "AWS_*",
    "CLOUD_ML_REGION",
    "VERTEX_REGION_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
  ],
  output: "claude-stream-json",
  invocation: (settings) => ({
    args: [
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "acceptEdits",
      "--tools",
      "Read,Edit,Write,Glob,Grep",
      "--restricted",
      "--strict-mcp-config",
      "--no-session-persistence",
      ...modelArgs(settings.model),
    ],
    env: {
      CLAUDE_CODE_MAX_RETRIES: String(settings.maxRetries),
      API_TIMEOUT_MS: String(settings.connectTimeoutMs),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      ...(settings.baseURL ? { ANTHROPIC_BASE_URL: settings.baseURL } : {}),
    },
    promptOnStdin: true,
  }),
};

// Codex: `exec` is the non-interactive mode, `-` reads the prompt from stdin; JSON events carry the answer and
// the usage; the workspace-write sandbox confines its commands to the working directory, here also without the
// temporary folders it would otherwise allow and without network; no session files. `--skip-git-repo-check`
// because a worktree's `.git` is a file. With `baseURL`, a provider of its own with bounded retries.
const codex: AgentPreset = {
  program: "codex",
  install: "npm install -g @openai/codex",
  minimumVersion: "0.160.0",
  checkedVersion: "0.171.0",
  providerEnvironment: [
    "CODEX_API_KEY",
    "CODEX_HOME",
    "OPENAI_API_KEY",
    "OPENAI_ORGANIZATION",
    "OPENAI_PROJECT",
  ],
  output: "codex-json",
  state: { variable: "CODEX_HOME", directory: ".codex", files: ["config.toml", "auth.json"] },
  invocation(settings) {
    const key = settings.env.CODEX_API_KEY ?? settings.env.OPENAI_API_KEY;
    const provider = (name: string, value: string) => ["-c", `model_providers.autoresearch.${name}=${value}`];
    return {
      args: [
        "exec",
        "--json",
        "--sandbox",
        settings.sandboxed ? "danger-full-access" : "workspace-write",
        "--skip-git-repo-check",
        "--ephemeral",
        "--color",
        "never",
        "-c",
        "sandbox_workspace_write.exclude_tmpdir_env_var=true",
        "-c",
        "sandbox_workspace_write.exclude_slash_tmp=true",
        "-c",
        "sandbox_workspace_write.network_access=false",
        ...(settings.baseURL
          ? [
              "-c",
              "model_provider=autoresearch",
              ...provider("name", '"autoresearch"'),
              ...provider("base_url", JSON.stringify(settings.baseURL)),
              ...provider("wire_api", '"responses"'),
              ...provider("request_max_retries", String(settings.maxRetries)),
              ...provider("stream_max_retries", String(settings.maxRetries)),
              ...(key ? provider("env_key", '"CODEX_API_KEY"') : []),
            ]
          : []),
        ...modelArgs(settings.model),
      ],
      trailingArgs: ["-"],
      // Codex sends only CODEX_API_KEY; a key given the usual OpenAI way would otherwise go unused.
      env: key ? { CODEX_API_KEY: key } : {},
      promptOnStdin: true,
    };
  },
};

// Qwen Code: one-shot mode with the prompt on stdin; the OpenAI-compatible client (any chat-completions server);
// edits approved, commands not (in non-interactive mode a command that needs approval is refused); a stream of
// JSON events with the usage, every chunk of the model's answer included (it retries a refused connection for
// minutes without a word, so the harness stops it when its output stays silent); only the file tools, without
// sub-agents, skills, worktrees or the web; no chat recording. A time limit on each request.
const qwenCode: AgentPreset = {
  program: "qwen",
  install: "npm install -g @qwen-code/qwen-code",
  minimumVersion: "0.24.0",
  checkedVersion: "0.24.4",
  providerEnvironment: ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "QWEN_HOME"],
  output: "qwen-stream-json",
  state: { variable: "QWEN_HOME", directory: ".qwen", files: ["settings.json", "oauth_creds.json", ".env"] },
  stopWhenSilent: true,
  invocation: (settings) => ({
    args: [
      "--approval-mode",
      "auto-edit",
      "--auth-type",
      "openai",
      "--output-format",
      "stream-json",
      "--include-partial-messages",
      "--chat-recording=false",
      "--core-tools",
      "read_file,edit,write_file,glob,grep_search,list_directory",
      "--exclude-tools",
      [
        "run_shell_command",
        "agent",
        "skill",
        "web_fetch",
        "web_search",
        "tool_search",
        "tool_call",
        "enter_worktree",
        "exit_worktree",
        "send_message",
        "task_stop",
        "list_agents",
        "cron_create",
        "cron_delete",
        "loop_wakeup",
      ].join(","),
      ...modelArgs(settings.model),
    ],
    env: {
      QWEN_CODE_API_TIMEOUT_MS: String(settings.connectTimeoutMs),
      ...(settings.baseURL ? { OPENAI_BASE_URL: settings.baseURL } : {}),
    },
    promptOnStdin: true,
  }),
};

// aider: it must not commit (the loop reads the change from git and commits it itself); its history files go to
// the scratch folder so they do not show up as changes; without git there is no repo map, so the editable files
// are passed by name. Written from aider 0.86's documentation and never run here.
const aider: AgentPreset = {
  program: "aider",
  install: "python -m pip install aider-install && aider-install",
  minimumVersion: "0.86.0",
  checkedVersion: undefined,
  providerEnvironment: ["AIDER_*", "OPENAI_*", "ANTHROPIC_*", "OLLAMA_API_BASE", "OPENROUTER_API_KEY"],
  output: "text",
  invocation: async (settings) => ({
    args: [
      "--message-file",
      settings.promptFile,
      "--yes-always",
      "--no-git",
      "--no-auto-commits",
      "--no-dirty-commits",
      "--no-check-update",
      "--no-show-model-warnings",
      "--no-analytics",
      "--no-pretty",
      "--no-stream",
      "--no-fancy-input",
      "--no-restore-chat-history",
      "--chat-history-file",
      `${settings.tempDirectory}/aider.chat.history.md`,
      "--input-history-file",
      `${settings.tempDirectory}/aider.input.history`,
      "--map-tokens",
      "0",
      ...modelArgs(settings.model),
    ],
    trailingArgs: await settings.editableFiles(),
    env: settings.baseURL ? { OPENAI_API_BASE: settings.baseURL } : {},
    promptOnStdin: false,
  }),
};

/** The built-in coding-agent presets. */
export const agentPresets: Readonly<Record<AgentPresetName, AgentPreset>> = {
  "claude-code": claudeCode,
  codex,
  "qwen-code": qwenCode,
  aider,
};
