import { type Env, loadEnv } from "../env";

/** One CLI command: its help text, its options (parsed strictly) and what it does. */

type OptionSpec = {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder shown in the help for a string option, e.g. "E". */
  value?: string;
  help: string;
};
type Options = Record<string, OptionSpec>;
type ValuesOf<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean };

/** What the entry point hands to every command. */
export type CliEntry = {
  /** The checkpoint worker's URL, resolved by the entry point (see startCheckpointer). */
  workerUrl: string;
  /** The webhook sender thread's URL, resolved the same way (see startSendThread). */
  webhookWorkerUrl: string;
  /** How the user runs the CLI here, for messages: `npm run souk --`, or the compiled binary. */
  invocation: string;
};

/** A command's outcome: an exit code, or "running" for a long-lived process (serve). */
export type Outcome = number | "running";

/**
 * A command as the program's help lists it. Its module is imported only when it runs or shows its
 * help, so `--help` and `healthcheck` do not load the whole application.
 */
export type CommandEntry = {
  name: string;
  /** One line in the program's help. */
  summary: string;
  load(): Promise<Command>;
};

export type Command = {
  name: string;
  /** The arguments after the command's name, e.g. "--email E [--username U]". */
  usage: string;
  /** Paragraphs of the command's help. */
  description: string;
  options: Options;
  /** The positional arguments it takes, by name (e.g. ["file"]); none when left out. */
  positionals?: readonly string[];
  examples?: string[];
  run(
    values: Record<string, string | boolean | undefined>,
    entry: CliEntry,
    positionals: string[],
  ): Promise<Outcome>;
};

/** Typed option values for the command's own `run`. */
export function defineCommand<const O extends Options>(
  c: Omit<Command, "options" | "run"> & {
    options: O;
    run(values: ValuesOf<O>, entry: CliEntry, positionals: string[]): Promise<Outcome>;
  },
): Command {
  return c as unknown as Command;
}

/** Wrong use of the command line: printed with a pointer to the help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A bad environment variable: its one-line message as is, exit code 2. */
export class ConfigError extends Error {}

export function cliEnv(): Env {
  try {
    return loadEnv();
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

export const PROGRAM = "souk";
/** How to run the CLI from a source checkout, where only Node and npm are installed. */
export const FROM_SOURCE = "npm run souk --";

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", help: "show this help" };

export function optionsOf(c: Command): Options {
  return { ...c.options, help: HELP_OPTION };
}

function optionLines(options: Options): string[] {
  const rows = Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`,
    o.help,
  ]);
  const width = Math.max(...rows.map(([left]) => left!.length));
  return rows.map(([left, help]) => `  ${left!.padEnd(width)}  ${help}`);
}

export function commandHelp(c: Command): string {
  return [
    `Usage: ${PROGRAM} ${c.name}${c.usage ? ` ${c.usage}` : ""}`,
    `  (from a source checkout: ${FROM_SOURCE} ${c.name} …)`,
    "",
    c.description,
    "",
    "Options:",
    ...optionLines(optionsOf(c)),
    ...(c.examples?.length ? ["", "Examples:", ...c.examples.map((e) => `  ${e}`)] : []),
    "",
  ].join("\n");
}

export function programHelp(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `${PROGRAM}: a self-hosted backend for marketplaces that sell services by the minute`,
    "",
    `Usage: ${PROGRAM} [command] [options]     (default command: serve)`,
    `  from a source checkout: ${FROM_SOURCE} [command] [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help  show this help",
    "",
    `Run '${PROGRAM} <command> --help' for a command's options. Configuration (PORT, HOST, DATA_DIR, …)`,
    "comes from environment variables: see the README.",
    "",
  ].join("\n");
}
