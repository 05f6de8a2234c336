import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server (smtp-server) on loopback that keeps every message it accepts. Plain SMTP
 * without STARTTLS; AUTH is optional but, when sent, must match the configured credentials.
 */
export type ReceivedMail = {
  from: string;
  to: string[];
  authUser: string | null;
  headers: Record<string, string>;
  subject: string;
  text: string;
  raw: string;
};

export const SMTP_USER = "souk";
export const SMTP_PASS = "smtp-secret";

/** Quoted-printable body (RFC 2045 §6.7) to text: soft line breaks out, =XX bytes decoded as UTF-8. */
function decodeQp(body: string): string {
  const joined = body.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function parse(raw: string) {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = raw.slice(split + 4);
  const cte = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  const text =
    cte === "quoted-printable"
      ? decodeQp(body)
      : cte === "base64"
        ? Buffer.from(body, "base64").toString()
        : body;
  return { headers, subject: headers.subject ?? "", text: text.replace(/\r\n/g, "\n") };
}

export async function startFakeSmtp(port = 0) {
  const received: ReceivedMail[] = [];
  let rejectRcpt = 0;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) return cb(null, { user: SMTP_USER });
      return cb(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, cb) {
      if (rejectRcpt > 0) {
        rejectRcpt--;
        return cb(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          authUser: typeof session.user === "string" ? session.user : null,
          raw,
          ...parse(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${actualPort}`,
    received,
    /** The next `n` recipients are refused with 550 (a permanent rejection). */
    rejectNextRecipients(n: number) {
      rejectRcpt += n;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeSmtp = Awaited<ReturnType<typeof startFakeSmtp>>;

/** The token in the first link to `page` in a mail's text. */
export function tokenFrom(mail: ReceivedMail, page: string): string {
  const m = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!m) throw new Error(`no ${page} link in: ${mail.text}`);
  return m[1]!;
}
