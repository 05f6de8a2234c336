import { DAY, HOUR, iso } from "../lib/time";
import { lifecycle } from "./order-paths";
import { OrderPlan, runSteps, slaBreach } from "./order-plan";
import { chat, reviews } from "./order-talk";
import { orderDescription, orderTitle } from "./texts";
import { type Person, roundTo, type World } from "./world";

/** Base prices in roubles per work type (a consultation: per hour), by catalog name. */
const BASE_RUB: Record<string, number> = {
  Consultation: 1500,
  Essay: 2500,
  Coursework: 9000,
  "Lab report": 3500,
  Thesis: 35_000,
};
const COMPLEXITY_FACTOR: Record<string, number> = { Basic: 0.8, Intermediate: 1, Advanced: 1.5 };
/** Minor units of one rouble's worth, and the step prices are rounded to, per currency. */
const MONEY: Record<string, { perRub: number; step: number }> = {
  RUB: { perRub: 100, step: 5000 },
  USD: { perRub: 100 / 90, step: 500 },
  EUR: { perRub: 100 / 100, step: 500 },
};
const SESSION_MINUTES = [30, 45, 60, 90, 120];
const SESSION_WEIGHTS = [10, 15, 45, 20, 10];
const SUBJECT_WEIGHTS = [30, 15, 25, 18, 12];
const WORK_WEIGHTS: Record<string, number> = { Essay: 35, Coursework: 25, "Lab report": 30, Thesis: 10 };

/** An active expert verified in the subject (the take rule), drawn by how much work they attract. */
function pickExpert(w: World, subjectId: number, t: number, clientId: number): Person | undefined {
  const pool = w.expertsBySubject.get(subjectId)!;
  for (let i = 0; i < 4; i++) {
    const e = pool.draw(w.rng);
    if (!e) return undefined;
    if (e.id !== clientId && e.expert!.suspendedAt > t + 3 * DAY) return e;
  }
  return undefined;
}

const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;

/** The client places orders as a Poisson process while they are active. */
export function startOrdering(w: World, p: Person, from: number) {
  const t = w.nextArrival(from, p.orderRate, Math.min(p.churnAt, p.bannedAt, w.end));
  if (!Number.isFinite(t)) return;
  w.at(t, () => {
    placeOrder(w, p, t);
    startOrdering(w, p, t);
  });
}

function placeOrder(w: World, client: Person, c: number) {
  const { rng, catalog } = w;
  if (rng.chance(0.15)) w.login(client, c);
  const session = rng.chance(0.3);
  const subject = catalog.subjects[rng.weighted(catalog.subjects.map((_, i) => SUBJECT_WEIGHTS[i] ?? 10))]!;
  const workTypes = catalog.workTypes.filter((x) => (x.name === "Consultation") === session);
  const workType =
    workTypes[rng.weighted(workTypes.map((x) => WORK_WEIGHTS[x.name] ?? 20))] ?? catalog.workTypes[0]!;
  const complexity = catalog.complexities[rng.weighted([40, 45, 15])] ?? catalog.complexities[0]!;
  const currency = client.currency;
  const money = MONEY[currency]!;
  const duration = session ? SESSION_MINUTES[rng.weighted(SESSION_WEIGHTS)]! : null;
  const baseRub =
    (BASE_RUB[workType.name] ?? 3000) *
    (duration ? duration / 60 : 1) *
    (COMPLEXITY_FACTOR[complexity.name] ?? 1);
  const base = baseRub * money.perRub;
  const budget = rng.chance(0.6) ? roundTo(base * rng.logNormal(1, 0.2), money.step) : null;
  const price = roundTo(
    (budget ?? base) * (budget ? rng.uniform(0.85, 1.2) : rng.logNormal(1, 0.2)),
    money.step,
  );
  let scheduledAt: number | null = null;
  let deadline: number | null = null;
  if (session) {
    const day = Math.floor((c + rng.uniform(1, 10) * DAY) / DAY) * DAY;
    scheduledAt = day + rng.int(6, 18) * HOUR;
  } else {
    deadline = hourOf(c + (workType.name === "Thesis" ? rng.uniform(14, 45) : rng.uniform(3, 21)) * DAY);
  }
  const slaDue = deadline ?? scheduledAt!;
  const expert = pickExpert(w, subject.id, c, client.id);
  const id = w.w.nextId("orders");
  const plan = new OrderPlan(w, id, client, currency, price, c);
  lifecycle(plan, expert, { session, deadline, scheduledAt, duration });
  const r = plan.row;

  const breach = slaBreach(plan, slaDue, session);
  if (breach) {
    r.slaBreachedAt = breach.t;
    plan.also(breach.t, () =>
      w.w.event(breach.t, "order.sla_breached", null, "order", id, {
        status: breach.status,
        sla_due_at: iso(slaDue),
      }),
    );
  }
  const title = orderTitle(rng, subject.name, workType.name, session);
  if (expert && r.takenAt != null) chat(plan, expert);
  if (expert && r.status === "completed") reviews(plan, expert);

  w.w.insert(
    "orders",
    session ? "session" : "work",
    r.status,
    client.id,
    r.expertId,
    title,
    orderDescription(rng, subject.name),
    subject.id,
    workType.id,
    complexity.id,
    deadline,
    scheduledAt,
    duration,
    budget,
    r.price,
    currency,
    r.paymentMethod,
    r.escrow,
    r.round,
    slaDue,
    r.slaBreachedAt,
    r.takenAt,
    r.paidAt,
    r.startedAt,
    r.deliveredAt,
    r.completedAt,
    r.cancelledAt,
    r.reason,
    c,
    r.updatedAt,
  );
  w.countStatus(r.status);
  w.w.event(c, "order.created", client.id, "order", id, {
    to: "new",
    kind: session ? "session" : "work",
    subject_id: subject.id,
    budget,
  });
  plan.steps.sort((a, b) => a.t - b.t);
  runSteps(w, plan.steps, 0);
}
