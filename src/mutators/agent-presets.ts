/**
 * Command lines for coding-agent CLIs. They were written against the documented flags of Claude Code 2.0,
 * Codex CLI 0.46 and aider 0.86 (see docs/llm-proposers.md); the tools themselves are not part of the test suite.
 *
 * In a command template `{prompt}` is replaced by the prompt, `{promptFile}` by a file holding it, `{tempDirectory}`
 * by a scratch directory outside the worktree, `{model}` by the `model` option, and an argument that is exactly
 * `{files}` by the editable files, one argument each. A template with neither `{prompt}` nor `{promptFile}` gets
 * the prompt on standard input.
 */

export type AgentPresetName = "claude-code" | "codex" | "aider";

export interface AgentPreset {
  /** The command template; see the placeholders above. */
  command: readonly string[];
  /** Arguments added after the command's first `argumentsAt` entries when a model is chosen. */
  modelArguments: (model: string) => string[];
  /** Where the model (and `extraArgs`) go: after this many entries of `command`. */
  argumentsAt: number;
  /** How to install it, for the message when it is not on PATH. */
  install: string;
}

export const agentPresets: Readonly<Record<AgentPresetName, AgentPreset>> = {
  "claude-code": {
    // Print mode, edits accepted without asking, and only file tools: no shell, so it cannot run the experiment
    // or commit.
    command: [
      "claude",
      "-p",
      "{prompt}",
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Read,Edit,MultiEdit,Write,Glob,Grep,LS",
      "--disallowedTools",
      "Bash",
      "--output-format",
      "text",
    ],
    modelArguments: (model) => ["--model", model],
    argumentsAt: 3,
    install: "npm install -g @anthropic-ai/claude-code",
  },
  codex: {
    // Non-interactive; the sandbox lets it write only inside the working directory. `-` reads the prompt from stdin.
    command: [
      "codex",
      "exec",
      "--sandbox",
      "workspace-write",
      "--skip-git-repo-check",
      "--color",
      "never",
      "-",
    ],
    modelArguments: (model) => ["--model", model],
    argumentsAt: 7,
    install: "npm install -g @openai/codex",
  },
  aider: {
    // --no-git: aider must not commit (the loop reads the change from git and commits it itself); its history
    // files go to a scratch directory so they do not show up as changes; the repo map is off without git.
    command: [
      "aider",
      "--message-file",
      "{promptFile}",
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
      "{tempDirectory}/aider.chat.history.md",
      "--input-history-file",
      "{tempDirectory}/aider.input.history",
      "--map-tokens",
      "0",
      "{files}",
    ],
    modelArguments: (model) => ["--model", model],
    argumentsAt: 20,
    install: "python -m pip install aider-install && aider-install",
  },
};
