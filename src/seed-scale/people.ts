import { faker } from "@faker-js/faker";
import type { Role } from "../db/schema";
import { DAY, HOUR, MINUTE } from "../lib/time";
import { startLearning, startTeaching } from "./courses";
import { startMinutes } from "./minutes";
import { startOrdering } from "./orders";
import { EDUCATION, expertBio, expertSkills, slug } from "./texts";
import { type Person, rhythm, type World } from "./world";

const DOMAIN = "demo.souk.local";

/** Everything decided about a user before they sign up. */
export type Newcomer = {
  person: Person;
  firstName: string;
  lastName: string;
  emailVerifiedAt: number | null;
  /** Orders a day per unit of activity are set once the whole population is known. */
  orderActivity: number;
  usageActivity: number;
  courses: number;
  expert: { subjects: number[]; extra: number | null; years: number } | null;
};

/** Generated users per role, for `total` users: mostly clients, some experts, a few staff. */
export function roleCounts(total: number): [Role, number][] {
  const staff: [Role, number][] = [
    ["support", Math.max(1, Math.round(total * 0.004))],
    ["arbitrator", Math.max(1, Math.round(total * 0.002))],
    ["admin", Math.max(1, Math.round(total * 0.001))],
    ["partner", Math.max(1, Math.round(total * 0.001))],
    ["trader", Math.max(1, Math.round(total * 0.001))],
    ["teamlead", Math.max(1, Math.round(total * 0.0005))],
    ["merchant", Math.max(1, Math.round(total * 0.001))],
  ];
  const experts = Math.round(total * 0.06);
  const staffTotal = staff.reduce((s, [, n]) => s + n, 0);
  return [["client", total - experts - staffTotal], ["expert", experts], ...staff];
}

/**
 * Where in the window (0..1) a user of the role signs up: clients at a growing rate, experts
 * mostly early (the supply side came first), staff in the first half.
 */
function signupShare(w: World, role: Role): number {
  const r = w.rng.next();
  if (role === "client") {
    const a = 0.35;
    return -a + Math.sqrt(a * a + r * (2 * a + 1));
  }
  if (role === "expert") return 1.4 - Math.sqrt(1.96 - 1.8 * r);
  return r * 0.5;
}

function subjectsOf(w: World, n: number): number[] {
  const ids = w.catalog.subjects.map((s) => s.id);
  const out = new Set<number>();
  while (out.size < Math.min(n, ids.length)) out.add(w.rng.pick(ids));
  return [...out];
}

/** Plans `total` newcomers (no ids yet), in the order they sign up. */
export function planNewcomers(w: World, total: number): Newcomer[] {
  const { rng } = w;
  const span = w.end - w.start;
  const out: Newcomer[] = [];
  for (const [role, n] of roleCounts(total)) {
    for (let i = 0; i < n; i++) {
      let signup = 0;
      for (let k = 0; k < 20; k++) {
        signup = Math.floor(w.start + MINUTE + signupShare(w, role) * (span - 2 * MINUTE));
        if (rng.next() < rhythm(signup)) break;
      }
      const client = role === "client";
      const firstName = faker.person.firstName();
      const lastName = faker.person.lastName();
      const telegram = rng.chance(0.35);
      const bannedAt =
        client && rng.chance(0.004) ? signup + rng.uniform(5, 120) * DAY : Number.POSITIVE_INFINITY;
      const person: Person = {
        id: 0,
        role,
        username: "",
        signup,
        currency: client ? (["RUB", "USD", "EUR"][rng.weighted([92, 5, 3])] as string) : "RUB",
        bannedAt,
        telegram,
        churnAt: client ? signup + rng.exp(200 * DAY) : Number.POSITIVE_INFINITY,
        lastLogin: 0,
        orderRate: 0,
        usageRate: 0,
        conduct: Math.min(1, Math.max(0.05, 0.8 + 0.2 * rng.normal())),
        expert: null,
      };
      const expertSubjects = role === "expert" ? subjectsOf(w, 1 + rng.weighted([60, 30, 10])) : [];
      out.push({
        person,
        firstName,
        lastName,
        emailVerifiedAt: rng.chance(0.45) ? Math.floor(signup + rng.exp(3 * HOUR) + MINUTE) : null,
        orderActivity: client ? rng.logNormal(1, 1) : 0,
        usageActivity: client && rng.chance(0.4) ? rng.logNormal(1, 0.9) : 0,
        courses: client && rng.chance(0.3) ? 1 + Math.min(4, Math.floor(rng.exp(1))) : 0,
        expert:
          role === "expert"
            ? {
                subjects: expertSubjects,
                extra: rng.chance(0.05) ? rng.pick(w.catalog.subjects.map((s) => s.id)) : null,
                years: rng.int(1, 25),
              }
            : null,
      });
      if (role === "expert") {
        person.expert = {
          quality: Math.min(1, Math.max(0.2, 0.75 + 0.15 * rng.normal())),
          responseHours: rng.logNormal(4, 0.8),
          weight: rng.logNormal(1, 0.7),
          suspendedAt: rng.chance(0.02) ? signup + rng.uniform(20, 150) * DAY : Number.POSITIVE_INFINITY,
        };
      }
    }
  }
  return out.sort((a, b) => a.person.signup - b.person.signup);
}

/**
 * Sets each newcomer's order and usage rates so the whole population places about `orders`
 * orders and records about `usages` usage events over the window (rates per active day).
 */
export function calibrate(w: World, all: Newcomer[], orders: number, usages: number) {
  let orderWeight = 0;
  let usageWeight = 0;
  for (const n of all) {
    const days = Math.max(0, Math.min(w.end, n.person.churnAt, n.person.bannedAt) - n.person.signup) / DAY;
    orderWeight += n.orderActivity * days;
    usageWeight += n.usageActivity * Math.max(0, days - 2);
  }
  for (const n of all) {
    n.person.orderRate = orderWeight > 0 ? (n.orderActivity * orders) / orderWeight : 0;
    // About one usage in ten is refused for want of minutes and some of those are never retried.
    n.person.usageRate = usageWeight > 0 ? (n.usageActivity * usages * 1.04) / usageWeight : 0;
  }
}

/** Signs the newcomers up one after the other, each at their instant. */
export function signUpAll(w: World, all: Newcomer[], passwordHash: string) {
  const next = (i: number) => {
    const n = all[i];
    if (!n) return;
    w.at(n.person.signup, () => {
      signUp(w, n, passwordHash);
      next(i + 1);
    });
  };
  next(0);
}

function signUp(w: World, n: Newcomer, passwordHash: string) {
  const { rng } = w;
  const p = n.person;
  const t = p.signup;
  const id = w.w.nextId("users");
  p.id = id;
  p.username = `${slug(n.firstName) || "user"}.${slug(n.lastName) || "demo"}.${id}`;
  const onboarding = n.expert ? expertOnboarding(w, t) : null;
  const banned = p.bannedAt <= w.end;
  const verified = n.emailVerifiedAt != null && n.emailVerifiedAt <= w.end ? n.emailVerifiedAt : null;
  const updatedAt = Math.max(
    t,
    verified ?? t,
    onboarding && onboarding.approved <= w.end ? onboarding.approved : t,
    banned ? p.bannedAt : t,
  );
  const subjectNames = n.expert?.subjects.map((s) => w.catalog.subjects.find((x) => x.id === s)!.name) ?? [];
  const profile = n.expert
    ? {
        bio: expertBio(rng, subjectNames, n.expert.years),
        years: n.expert.years,
        education: rng.pick(EDUCATION),
        skills: expertSkills(rng, subjectNames),
      }
    : null;
  const approved = onboarding != null && onboarding.approved <= w.end;
  const banReason = banned ? rng.pick(["fraudulent payments", "abusive messages", "fake reviews"]) : null;
  w.w.insert(
    "users",
    `${p.username}@${DOMAIN}`,
    p.username,
    passwordHash,
    p.telegram ? 1_000_000_000 + id * 17 + rng.int(0, 16) : null,
    p.role === "expert" && !approved ? "client" : p.role,
    n.firstName,
    n.lastName,
    approved ? profile!.bio : null,
    approved ? profile!.years : null,
    approved ? profile!.education : null,
    approved ? profile!.skills : null,
    banned ? 1 : 0,
    banReason,
    banned ? Math.floor(p.bannedAt) : null,
    verified,
    t,
    updatedAt,
  );
  w.add(p);
  const role = p.role === "expert" ? "client" : p.role;
  w.w.event(t, "user.registered", id, "user", id, { role, via: p.telegram ? "telegram" : "password" });
  if (verified != null) {
    w.at(verified, () =>
      w.w.event(verified, "user.email_verified", id, "user", id, { email: `${p.username}@${DOMAIN}` }),
    );
  }
  if (banned) {
    const at = Math.floor(p.bannedAt);
    w.at(at, () => {
      const admin = w.pickAdmin();
      const reason = { reason: banReason };
      w.w.audit(at, admin, "user.banned", "user", id, reason);
      w.w.event(at, "user.banned", admin, "user", id, reason);
    });
  }
  if (p.role === "admin") w.admins.push(id);
  if (p.role === "admin" || p.role === "arbitrator") w.resolvers.push(id);
  if (p.role === "client") {
    startOrdering(w, p, t + 10 * MINUTE);
    if (n.usageActivity > 0) startMinutes(w, p);
    if (n.courses > 0) startLearning(w, p, n.courses);
  }
  if (onboarding) becomeExpert(w, n, profile!, onboarding);
}

function expertOnboarding(w: World, signup: number) {
  const applied = w.after(signup, w.rng.exp(12 * HOUR) + 10 * MINUTE);
  const approved = w.after(applied, w.rng.exp(20 * HOUR) + 30 * MINUTE);
  return { applied, approved };
}

/**
 * The expert path of marketplace/experts/service.ts: an application, its approval by an admin
 * (the user becomes an expert with a profile), specializations added and verified by an admin;
 * each verified subject makes the expert a candidate for its orders.
 */
type Profile = { bio: string; years: number; education: string; skills: string };

function becomeExpert(w: World, n: Newcomer, profile: Profile, o: { applied: number; approved: number }) {
  const { rng } = w;
  const p = n.person;
  const e = n.expert!;
  const admin = w.pickAdmin();
  const approvedInTime = o.approved <= w.end;
  w.at(o.applied, () => {
    const appId = w.w.insert(
      "expert_applications",
      p.id,
      approvedInTime ? "approved" : "pending",
      profile.bio,
      profile.years,
      profile.education,
      profile.skills,
      approvedInTime ? admin : null,
      approvedInTime ? o.approved : null,
      null,
      o.applied,
      approvedInTime ? o.approved : o.applied,
    );
    w.w.event(o.applied, "expert_application.submitted", p.id, "expert_application", appId, {
      user_id: p.id,
    });
    w.at(o.approved, () => {
      const details = { user_id: p.id, role_from: "client", role_to: "expert" };
      w.w.audit(o.approved, admin, "expert_application.approved", "expert_application", appId, details);
      w.w.event(o.approved, "expert_application.approved", admin, "expert_application", appId, details);
      const suspended = p.expert!.suspendedAt <= w.end;
      w.w.insert(
        "expert_profiles",
        p.id,
        suspended ? 0 : 1,
        suspended ? "quality complaints" : null,
        o.approved,
        suspended ? Math.floor(p.expert!.suspendedAt) : o.approved,
      );
      if (suspended) {
        const at = Math.floor(p.expert!.suspendedAt);
        w.at(at, () => {
          const by = w.pickAdmin();
          const details = { reason: "quality complaints", was_active: true };
          w.w.audit(at, by, "expert.suspended", "expert", p.id, details);
          w.w.event(at, "expert.suspended", by, "expert", p.id, details);
        });
      }
      let t = o.approved;
      const subjects =
        e.extra != null && !e.subjects.includes(e.extra) ? [...e.subjects, e.extra] : e.subjects;
      for (const subjectId of subjects) {
        t = w.after(t, rng.exp(2 * HOUR) + MINUTE);
        const added = t;
        // The extra subject waits for verification; the others are verified within a day or so.
        const verifiedAt =
          subjectId === e.extra && !e.subjects.includes(subjectId)
            ? Number.POSITIVE_INFINITY
            : w.after(added, rng.exp(16 * HOUR) + 10 * MINUTE);
        w.at(added, () => addSpecialization(w, p, subjectId, added, verifiedAt));
      }
    });
  });
}

function addSpecialization(w: World, p: Person, subjectId: number, t: number, verifiedAt: number) {
  const verified = verifiedAt <= w.end;
  const admin = w.pickAdmin();
  const id = w.w.insert(
    "expert_specializations",
    p.id,
    subjectId,
    verified ? 1 : 0,
    verified ? admin : null,
    verified ? verifiedAt : null,
    t,
  );
  w.w.event(t, "expert_specialization.added", p.id, "expert_specialization", id, { subject_id: subjectId });
  w.at(verifiedAt, () => {
    const details = { user_id: p.id, subject_id: subjectId, was_verified: false };
    w.w.audit(verifiedAt, admin, "expert_specialization.verified", "expert_specialization", id, details);
    w.w.event(verifiedAt, "expert_specialization.verified", admin, "expert_specialization", id, details);
    w.expertsBySubject.get(subjectId)!.add(p, p.expert!.weight);
    startTeaching(w, p, subjectId, verifiedAt);
  });
}
