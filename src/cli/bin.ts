#!/usr/bin/env node
import { installEarlyExit } from "./early-exit.js";

installEarlyExit();
const { main } = await import("./main.js");
process.exitCode = await main(process.argv.slice(2));
