/** Something that happens at one instant of the simulated history. */
export type Action = () => void;

/**
 * The simulated history's queue: actions run in time order (ties in the order they were
 * scheduled), so rows are written, and their ids assigned, in the order a live server would.
 */
export class Timeline {
  private times: number[] = [];
  private seqs: number[] = [];
  private actions: Action[] = [];
  private seq = 0;
  /** The instant of the action running now. */
  now: number;

  constructor(start: number) {
    this.now = start;
  }

  get size() {
    return this.times.length;
  }

  at(t: number, action: Action) {
    if (t < this.now) throw new Error(`scheduled in the past: ${t} < ${this.now}`);
    const s = this.seq++;
    let i = this.times.length;
    this.times.push(t);
    this.seqs.push(s);
    this.actions.push(action);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(t, s, p)) break;
      this.move(p, i);
      i = p;
    }
    this.set(i, t, s, action);
  }

  /** Runs every action due up to `end` (inclusive), in order; actions may schedule more. */
  run(end: number, tick?: (now: number) => void) {
    let n = 0;
    while (this.times.length > 0 && this.times[0]! <= end) {
      const t = this.times[0]!;
      const action = this.actions[0]!;
      this.removeTop();
      this.now = t;
      action();
      if (tick && ++n % 1024 === 0) tick(t);
    }
    this.now = end;
  }

  /** Does the entry (t, s) run before the one at index j? */
  private before(t: number, s: number, j: number) {
    const tj = this.times[j]!;
    return t < tj || (t === tj && s < this.seqs[j]!);
  }

  private move(from: number, to: number) {
    this.times[to] = this.times[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.actions[to] = this.actions[from]!;
  }

  private set(i: number, t: number, s: number, a: Action) {
    this.times[i] = t;
    this.seqs[i] = s;
    this.actions[i] = a;
  }

  /** Drops the first entry: the last one sifts down from the root. */
  private removeTop() {
    const t = this.times.pop()!;
    const s = this.seqs.pop()!;
    const a = this.actions.pop()!;
    const size = this.times.length;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const c = r < size && this.before(this.times[r]!, this.seqs[r]!, l) ? r : l;
      if (this.before(t, s, c)) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, t, s, a);
  }
}
