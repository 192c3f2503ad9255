import { agentCliSpecs } from "./fixtures/agent-clis/cli-specs.js";
import { describeAgentCli } from "./helpers/agent-cli-suite.js";

// The real codex CLI, end to end: see test/helpers/agent-cli-suite.ts for the checks and
// test/fixtures/agent-clis/cli-specs.ts for its fake model server.
describeAgentCli(agentCliSpecs.codex);
