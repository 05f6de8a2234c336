import { parseArgs } from "node:util";
import {
  type CliEntry,
  type Command,
  type CommandEntry,
  ConfigError,
  commandHelp,
  type Outcome,
  optionsOf,
  PROGRAM,
  programHelp,
  UsageError,
} from "./command";

const isHelp = (a: string) => a === "-h" || a === "--help";

/** Options before a `--` terminator: `--help` after it is an argument, not a request for help. */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some(isHelp);
}

function parse(c: Command, args: string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: optionsOf(c), strict: true, allowPositionals: true });
  } catch (e) {
    const m = (e as Error).message;
    throw new UsageError(m.charAt(0).toLowerCase() + m.slice(1), c.name);
  }
  const extra = parsed.positionals[c.positionals?.length ?? 0];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, c.name);
  // No option is `multiple`: each value is a string or a boolean.
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

function find(commands: readonly CommandEntry[], name: string): CommandEntry {
  const c = commands.find((x) => x.name === name);
  if (!c) {
    const names = commands.map((x) => x.name).join(", ");
    throw new UsageError(`unknown command '${name}' (commands: ${names})`);
  }
  return c;
}

async function dispatch(
  commands: readonly CommandEntry[],
  argv: string[],
  entry: CliEntry,
): Promise<Outcome> {
  const [first = "serve", ...rest] = argv;
  if (isHelp(first) || (first === "help" && rest[0] === undefined)) {
    process.stdout.write(programHelp(commands));
    return 0;
  }
  if (first === "help") {
    process.stdout.write(commandHelp(await find(commands, rest[0]!).load()));
    return 0;
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option '${first}'`);
  const c = await find(commands, first).load();
  if (wantsHelp(rest)) {
    process.stdout.write(commandHelp(c));
    return 0;
  }
  const { values, positionals } = parse(c, rest);
  return c.run(values, entry, positionals);
}

/**
 * Runs the command named by argv and settles on an exit code: 0 done, 1 failed or refused,
 * 2 wrong usage (unknown command or option, missing argument, bad configuration).
 */
export async function runCli(
  commands: readonly CommandEntry[],
  argv: string[],
  entry: CliEntry,
): Promise<Outcome> {
  try {
    return await dispatch(commands, argv, entry);
  } catch (e) {
    if (e instanceof UsageError) {
      const where = e.command ? `${PROGRAM} ${e.command}` : PROGRAM;
      console.error(`${where}: ${e.message}. Run '${where} --help' for usage.`);
      return 2;
    }
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    console.error(`${PROGRAM}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
