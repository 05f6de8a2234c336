import { expect } from "bun:test";
import {
  courseEnrollments,
  courses,
  expertApplications,
  expertDocuments,
  expertProfiles,
  gatewayTraders,
  holds,
  orderMessages,
  purchases,
  reviews,
  usageEvents,
} from "../../src/db/schema";
import { insertFile, type Upload, writeUpload } from "../../src/lib/files";
import { traderAvailable } from "../../src/modules/gateway/money";
import { audit } from "../../src/modules/platform/audit";
import { emit } from "../../src/modules/platform/events/service";
import { notify } from "../../src/modules/platform/notifications/service";
import { insertOrder } from "../gateway/lifecycle-helpers";
import type { TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { gatewayFixtures } from "../helpers/gateway";
import { fundWallet, makeOrder, makeSubject } from "../helpers/marketplace";

let seq = 0;

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

/**
 * Personal data of the person under test: distinctive strings, so a search of the whole database
 * for them finds only copies of this person's data.
 */
export const PII = {
  firstName: "Zebulon",
  lastName: "Quistorpova",
  telegramId: 987_654_321,
  details: "2200 7001 9931 4417",
  ownerName: "ZEBULON QUISTORPOVA",
  bio: "Retired lighthouse keeper from Vardø",
};

/**
 * One user with a row of every kind souk keeps about a person: made through the routes where a
 * route copies data elsewhere (events, callbacks, jobs), directly otherwise. The user is a
 * trader (with requisites and orders), a merchant (a store with orders), a client and an expert
 * at once: the tables do not tie rows to the role, and one person covers every section.
 */
export async function richPerson(t: TestApp) {
  const { ctx, clock } = t;
  const n = ++seq;
  const now = () => clock.now();
  const gw = gatewayFixtures(t);
  const email = `zebulon.q${n}@example.org`;
  const username = `zebulon_q${n}`;
  const password = "long enough pw";

  const reg = await t.call("POST", "/api/v1/auth/register", { body: { email, password, username } });
  expect(reg.status).toBe(201);
  const id = reg.body.user.id as number;
  const token = reg.body.access_token as string;
  const refresh = reg.body.refresh_token as string;
  // A trader who also runs a store.
  ctx.sqlite
    .query("UPDATE users SET role = 'trader', telegram_id = ?, granted_permissions = ? WHERE id = ?")
    .run(PII.telegramId + n, JSON.stringify(["gateway:merchant:*"]), id);
  const patched = await t.call("PATCH", "/api/v1/me", {
    token,
    body: {
      first_name: PII.firstName,
      last_name: PII.lastName,
      bio: PII.bio,
      education: "Tromsø Maritime School",
      skills: "semaphore, knots",
      avatar_url: "https://cdn.example.org/zebulon.png",
    },
  });
  expect(patched.status).toBe(200);
  const key = await t.call("POST", "/api/v1/me/api-keys", {
    token,
    body: { name: "zebulon laptop", scopes: ["me:read", "notifications:stream"] },
  });
  expect(key.status).toBe(201);

  // Others the person deals with.
  const other = await t.user("client", { firstName: "Otto", lastName: "Other" });
  const expert = await t.user("expert", { firstName: "Erna" });
  const subject = makeSubject(t);

  // Expert side: profile, application, a document (an upload), a course.
  ctx.db.insert(expertProfiles).values({ userId: id, approvedAt: now(), updatedAt: now() }).run();
  ctx.db
    .insert(expertApplications)
    .values({
      userId: id,
      status: "approved",
      bio: PII.bio,
      skills: "knots",
      createdAt: now(),
      updatedAt: now(),
    })
    .run();
  const upload = async (purpose: "expert_document" | "payment_proof" | "gateway_receipt") => {
    const up: Upload = { bytes: PNG, contentType: "image/png", ext: "png", name: "scan.png", fields: {} };
    const w = await writeUpload(ctx, up);
    return ctx.db.transaction((tx) =>
      insertFile(tx, now(), { ownerId: id, purpose, upload: up, storageKey: w.storageKey, sha256: w.sha256 }),
    );
  };
  const docFile = await upload("expert_document");
  ctx.db
    .insert(expertDocuments)
    .values({ userId: id, fileId: docFile.id, title: "Diploma", createdAt: now() })
    .run();
  const course = ctx.db
    .insert(courses)
    .values({
      expertId: id,
      title: "Knots 101",
      price: 0,
      status: "published",
      createdAt: now(),
      updatedAt: now(),
    })
    .returning()
    .get();
  const othersCourse = ctx.db
    .insert(courses)
    .values({ expertId: expert.id, title: "Tides", createdAt: now(), updatedAt: now() })
    .returning()
    .get();
  ctx.db
    .insert(courseEnrollments)
    .values({
      courseId: othersCourse.id,
      userId: id,
      rating: 5,
      review: `Great course, ${PII.firstName} approves`,
      createdAt: now(),
      updatedAt: now(),
    })
    .run();

  // Marketplace: an order as client (with a payment proof upload) and one as expert, chat, reviews.
  const proof = await upload("payment_proof");
  const asClient = makeOrder(t, {
    clientId: id,
    expertId: expert.id,
    subjectId: subject.id,
    status: "completed",
    paymentProofFileId: proof.id,
    description: `Call me ${PII.firstName}`,
  });
  const asExpert = makeOrder(t, {
    clientId: other.id,
    expertId: id,
    subjectId: subject.id,
    status: "in_progress",
  });
  ctx.db.transaction((tx) => {
    emit(tx, now(), {
      type: "order.created",
      actorId: id,
      subjectType: "order",
      subjectId: asClient.id,
      payload: { title: asClient.title },
    });
    tx.insert(orderMessages)
      .values([
        { orderId: asClient.id, senderId: id, body: `Hello, ${PII.firstName} here`, createdAt: now() },
        {
          orderId: asClient.id,
          senderId: expert.id,
          body: `Hi ${PII.firstName} ${PII.lastName}!`,
          createdAt: now(),
        },
        { orderId: asExpert.id, senderId: other.id, body: "Otto's own words", createdAt: now() },
      ])
      .run();
    tx.insert(reviews)
      .values([
        {
          orderId: asClient.id,
          direction: "client_to_expert",
          authorId: id,
          targetId: expert.id,
          rating: 5,
          comment: `Signed, ${PII.firstName}`,
          createdAt: now(),
        },
        {
          orderId: asClient.id,
          direction: "expert_to_client",
          authorId: expert.id,
          targetId: id,
          rating: 4,
          comment: "Pleasant client",
          createdAt: now(),
        },
      ])
      .run();
    // Copies of the person's data in others' records and the logs.
    notify(ctx, tx, {
      userId: id,
      type: "system",
      title: "Welcome",
      message: `Welcome, ${PII.firstName}`,
    });
    notify(ctx, tx, {
      userId: expert.id,
      type: "system",
      title: "New message",
      message: `${PII.firstName} ${PII.lastName} (${email}) wrote to you`,
      data: { from: username },
    });
    audit(tx, now(), {
      actorId: id,
      action: "test.action",
      targetType: "user",
      targetId: id,
      details: { note: `done by ${email}` },
    });
    ctx.jobs.enqueue(ctx, tx, {
      type: "email.send",
      payload: { to: email, subject: "Hi", text: `Dear ${PII.firstName}` },
    });
    // A message to someone else that mentions the person.
    ctx.jobs.enqueue(ctx, tx, {
      type: "telegram.send",
      payload: { chat_id: 5_550_001, text: `${PII.firstName} ${PII.lastName} booked a session` },
    });
  });

  // Minutes and money.
  grantSeconds(t, id, 3600);
  const purchase = ctx.db
    .insert(purchases)
    .values({
      userId: id,
      kind: "package",
      provider: "stripe",
      status: "succeeded",
      amount: 99_00,
      currency: "RUB",
      createdAt: now(),
      updatedAt: now(),
    })
    .returning()
    .get();
  const hold = ctx.db
    .insert(holds)
    .values({ userId: id, seconds: 60, remainingSeconds: 60, expiresAt: now() + 60_000, createdAt: now() })
    .returning()
    .get();
  ctx.db
    .insert(usageEvents)
    .values({
      userId: id,
      usageId: `call-${n}`,
      seconds: 30,
      billedSeconds: 60,
      remainingAfter: 3540,
      createdAt: now(),
    })
    .run();
  fundWallet(t, id, 500_00);

  // Gateway: the person's store (merchant) and trader profile, with requisites and orders.
  gw.rate();
  const { store } = await gw.store({ merchant: { id, token }, callbackUrl: "https://shop.example.org/cb" });
  const trader = ctx.db
    .insert(gatewayTraders)
    .values({ userId: id, payInBps: 100, payOutBps: 100, inWork: true, createdAt: now(), updatedAt: now() })
    .returning()
    .get();
  gw.credit(traderAvailable(trader.id), 100_000_000);
  const made = await t.call("POST", "/api/v1/trader/requisites", {
    token,
    body: {
      payment_method: "card",
      bank: "Sber",
      details: "2200 0000 0000 0000",
      owner_name: PII.ownerName,
      pay_in: true,
      pay_out: false,
      min_amount: 100,
      max_amount: 10_000_000,
      daily_limit: 1_000_000_000,
      daily_count_limit: 1000,
      currency: "RUB",
    },
  });
  expect(made.status).toBe(201);
  // A change of details: the event keeps the old and new ones.
  const changed = await t.call("PATCH", `/api/v1/trader/requisites/${made.body.id}`, {
    token,
    body: { details: PII.details },
  });
  expect(changed.status).toBe(200);
  ctx.sqlite.query("UPDATE gateway_requisites SET status = 'approved' WHERE id = ?").run(made.body.id);
  // A pay-in to the store, routed to the person's requisite: its callback carries the details.
  const payin = await t.call("POST", "/api/v1/gateway/payin", {
    token,
    body: { store_id: store.id, amount: 95_500, currency: "RUB", client_order_id: `zq-${n}` },
  });
  expect(payin.status).toBe(201);
  expect(payin.body.requisite?.details).toBe(PII.details);
  const receipt = await upload("gateway_receipt");
  const requisite = ctx.sqlite.query("SELECT * FROM gateway_requisites WHERE id = ?").get(made.body.id) as {
    id: number;
  };
  const done = insertOrder(t, {
    store,
    status: "completed",
    trader,
    requisite: gw.requisite(trader.id, { ownerName: PII.ownerName }),
    set: { traderReceiptId: receipt.id },
  });
  // The person leads a team of one.
  const member = await gw.trader({ teamleadId: id });

  return {
    id,
    email,
    username,
    password,
    telegramId: PII.telegramId + n,
    token,
    refresh,
    apiKey: key.body.key as string,
    other,
    expert,
    orders: { asClient, asExpert },
    course,
    purchase,
    hold,
    store,
    trader,
    requisiteId: requisite.id,
    payinId: payin.body.id as number,
    gatewayOrderId: done.id,
    member,
    files: { docFile, proof, receipt },
    gw,
  };
}

/** Every text value of every table (the way a reviewer would search a dump). */
export function allText(t: TestApp): { table: string; column: string; value: string }[] {
  const out: { table: string; column: string; value: string }[] = [];
  const tables = t.ctx.sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all();
  for (const { name } of tables) {
    const cols = t.ctx.sqlite.query<{ name: string }, []>(`PRAGMA table_info("${name}")`).all();
    for (const row of t.ctx.sqlite.query(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
      for (const c of cols) {
        const v = row[c.name];
        if (v != null) out.push({ table: name, column: c.name, value: String(v) });
      }
    }
  }
  return out;
}
