import { NEGATIVE_REVIEW_FLAGS, POSITIVE_REVIEW_FLAGS } from "../db/schema";
import { DAY, HOUR, MINUTE } from "../lib/time";
import type { OrderPlan } from "./order-plan";
import { CHAT_LINES, reviewComment } from "./texts";
import type { Person, World } from "./world";

/** A few orders get a conversation between taking and the last step (cancelled ones close the chat). */
export function chat(plan: OrderPlan, expert: Person) {
  const { w, client, id } = plan;
  const { rng } = w;
  if (!rng.chance(0.1)) return;
  const from = plan.row.takenAt! + MINUTE;
  const closed = plan.row.status === "cancelled" || plan.row.status === "declined_by_expert";
  const last = plan.transitions.filter((x) => x.t <= w.end).at(-1)!.t;
  const until = Math.min(w.end, closed ? last - 1000 : Math.max(last, from + 2 * DAY));
  if (until <= from) return;
  const n = rng.int(1, 4);
  const times = Array.from({ length: n }, () => Math.floor(rng.uniform(from, until))).sort((a, b) => a - b);
  let clientSpeaks = rng.chance(0.6);
  for (const t of times) {
    const sender = clientSpeaks ? client : expert;
    const role = clientSpeaks ? "client" : "expert";
    const body = rng.pick(CHAT_LINES[role]);
    const deletedAt = rng.chance(0.03) ? Math.floor(t + rng.uniform(1, 30) * MINUTE) : null;
    const deleted = deletedAt != null && deletedAt <= w.end ? deletedAt : null;
    plan.also(t, () => {
      const m = w.w.insert(
        "order_messages",
        id,
        sender.id,
        body,
        deleted,
        deleted == null ? null : sender.id,
        t,
      );
      w.w.event(t, "order.message_sent", sender.id, "order", id, { message_id: m, sender_role: role });
      if (deleted != null) {
        w.at(deleted, () =>
          w.w.event(deleted, "order.message_deleted", sender.id, "order", id, { message_id: m }),
        );
      }
    });
    clientSpeaks = !clientSpeaks;
  }
}

const RATINGS = [1, 2, 3, 4, 5];

/** After completion: the client rates the expert, the expert rates the client (with behaviour flags). */
export function reviews(plan: OrderPlan, expert: Person) {
  const { w, client, id } = plan;
  const { rng } = w;
  const done = plan.row.completedAt!;
  const troubled = plan.row.slaBreachedAt != null || plan.transitions.some((x) => x.to === "disputed");
  const review = (t: number, direction: "client_to_expert" | "expert_to_client") => {
    const ofExpert = direction === "client_to_expert";
    const author = ofExpert ? client : expert;
    const target = ofExpert ? expert : client;
    const q = ofExpert ? expert.expert!.quality : client.conduct;
    const weights = RATINGS.map((_, i) => {
      const high = [1, 1, 3, 20, 75][i]!;
      const low = [10, 10, 20, 30, 30][i]!;
      return low + (high - low) * q;
    });
    let rating = RATINGS[rng.weighted(weights)]!;
    if (troubled && rng.chance(0.5)) rating = Math.max(1, rating - rng.int(1, 2));
    let flags: string[] = [];
    if (!ofExpert) {
      if (rating <= 3 && rng.chance(0.6)) flags = pickSome(w, NEGATIVE_REVIEW_FLAGS);
      else if (rating >= 4 && rng.chance(0.35)) flags = pickSome(w, POSITIVE_REVIEW_FLAGS);
    }
    const comment = reviewComment(rng, ofExpert, rating);
    plan.also(t, () => {
      const rid = w.w.insert(
        "reviews",
        id,
        direction,
        author.id,
        target.id,
        rating,
        comment,
        JSON.stringify(flags),
        1,
        t,
      );
      w.w.event(t, "order.review_created", author.id, "order", id, {
        review_id: rid,
        direction,
        rating,
        target_id: target.id,
        flags,
      });
    });
  };
  if (rng.chance(0.6)) review(w.after(done, rng.exp(20 * HOUR) + 5 * MINUTE), "client_to_expert");
  if (rng.chance(0.45)) review(w.after(done, rng.exp(30 * HOUR) + 5 * MINUTE), "expert_to_client");
}

function pickSome(w: World, from: readonly string[]): string[] {
  const n = w.rng.chance(0.75) ? 1 : 2;
  const out = new Set<string>();
  while (out.size < n) out.add(w.rng.pick(from));
  return [...out];
}
