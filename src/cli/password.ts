import { UsageError } from "./command";

/** Reads one line from the terminal without echoing it (raw mode: we see every key). */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  // Raw mode before the prompt shows: keys typed ahead of it must not echo either.
  stdin.setRawMode(true);
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (text.startsWith("\u001b")) return; // arrow and function keys
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003") return finish(new Error("cancelled"));
        if (ch === "\u0004") return value ? finish() : finish(new Error("cancelled"));
        if (ch === "\u007f" || ch === "\b") value = Array.from(value).slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** The whole of stdin, less one trailing newline (what `echo` and here-strings add). */
async function readStdin(): Promise<string> {
  const text = (await Bun.stdin.text()).replace(/\r?\n$/, "");
  if (!text) {
    throw new UsageError(
      "no password on stdin: pipe it in with --password-stdin, or run in a terminal to be prompted",
      "create-admin",
    );
  }
  if (/[\r\n]/.test(text))
    throw new UsageError("the password on stdin must be a single line", "create-admin");
  return text;
}

export type PasswordSource = { password?: string; passwordStdin?: boolean };

/**
 * The password from --password (with a warning), from stdin (--password-stdin, or whenever
 * stdin is not a terminal), or typed twice at a prompt that does not echo.
 */
export async function readPassword(src: PasswordSource): Promise<string> {
  if (src.password !== undefined && src.passwordStdin) {
    throw new UsageError("give either --password or --password-stdin, not both", "create-admin");
  }
  if (src.password !== undefined) {
    console.error(
      "warning: --password leaves the password in your shell history and the process list; " +
        "prefer the prompt or --password-stdin",
    );
    return src.password;
  }
  if (src.passwordStdin || !process.stdin.isTTY) return readStdin();
  const first = await promptHidden("Password: ");
  const again = await promptHidden("Repeat password: ");
  if (first !== again) throw new Error("the passwords do not match; nothing was created");
  return first;
}
