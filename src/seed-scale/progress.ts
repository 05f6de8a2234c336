import { writeSync } from "node:fs";

export type ProgressInfo = {
  fraction: number;
  day: string;
  orders: number;
  usage: number;
  elapsedMs: number;
};

const WIDTH = 28;
const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(n);

/**
 * A one-line progress bar on stderr, redrawn in place on a terminal (at most ~8 times a second);
 * elsewhere (a log, a pipe) one line per tenth of the way.
 */
export class ProgressBar {
  private lastDraw = 0;
  private lastTenth = -1;
  private finished = false;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly fd = 2,
  ) {
    this.tty = process.stderr.isTTY === true && fd === 2;
  }

  private write(s: string) {
    writeSync(this.fd, s);
  }

  update(p: ProgressInfo) {
    if (this.finished) return;
    const line = this.line(p);
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 120) return;
      this.lastDraw = now;
      this.write(`\r${line}\x1b[K`);
      return;
    }
    const tenth = Math.floor(p.fraction * 10);
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.write(`${line}\n`);
    }
  }

  /** The last line, at 100 %; once (later calls do nothing). */
  done(p: ProgressInfo) {
    if (this.finished) return;
    this.finished = true;
    const line = this.line({ ...p, fraction: 1 });
    if (this.tty) this.write(`\r${line}\x1b[K\n`);
    else if (this.lastTenth < 10) this.write(`${line}\n`);
    this.lastTenth = 10;
  }

  /** A plain line under the bar (the steps after it). */
  note(text: string) {
    this.write(`${text}\n`);
  }

  private line(p: ProgressInfo) {
    const filled = Math.round(Math.min(1, p.fraction) * WIDTH);
    const bar = `${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}`;
    const pct = `${Math.floor(Math.min(1, p.fraction) * 100)}%`.padStart(4);
    return `${this.label} [${bar}] ${pct}  ${p.day}  ${fmt(p.orders)} orders, ${fmt(p.usage)} usage  ${(p.elapsedMs / 1000).toFixed(0)}s`;
  }
}
