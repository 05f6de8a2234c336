#!/usr/bin/env bun
import { FROM_SOURCE } from "./cli/command";
import { COMMANDS } from "./cli/commands";
import { runCli } from "./cli/run";

// Inside the compiled binary every module's import.meta.url is the binary itself, so the worker's
// URL is resolved here, against the entry point (see startCheckpointer).
const workerUrl = new URL("./db/checkpoint-worker.ts", import.meta.url).href;
const webhookWorkerUrl = new URL("./modules/platform/webhooks/send-worker.ts", import.meta.url).href;
// The compiled binary's modules live in Bun's embedded file system.
const compiled = import.meta.url.includes("$bunfs") || import.meta.url.includes("~BUN");

const outcome = await runCli(COMMANDS, process.argv.slice(2), {
  workerUrl,
  webhookWorkerUrl,
  invocation: compiled ? process.execPath : FROM_SOURCE,
});
if (outcome !== "running") process.exit(outcome);
