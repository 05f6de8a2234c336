import type { Rng } from "./random";

/** Topics per demo subject (by name); a subject the list does not know gets generic ones. */
const TOPICS: Record<string, string[]> = {
  Mathematics: [
    "linear algebra",
    "integrals",
    "probability theory",
    "differential equations",
    "statistics",
    "number theory",
    "limits and series",
    "optimisation",
  ],
  Physics: [
    "kinematics",
    "thermodynamics",
    "electric circuits",
    "optics",
    "quantum mechanics",
    "fluid dynamics",
  ],
  Programming: [
    "a REST API in Python",
    "SQL queries",
    "sorting algorithms",
    "a React front end",
    "data structures",
    "a Telegram bot",
    "unit tests",
    "graph algorithms",
  ],
  Economics: [
    "supply and demand",
    "macroeconomic policy",
    "corporate finance",
    "game theory",
    "econometrics",
  ],
  History: ["the Industrial Revolution", "the Cold War", "ancient Rome", "the Renaissance", "World War I"],
};
const GENERIC_TOPICS = ["the core course", "an exam topic", "a seminar question"];

export function orderTitle(rng: Rng, subject: string, workType: string, session: boolean): string {
  const topic = rng.pick(TOPICS[subject] ?? GENERIC_TOPICS);
  if (session)
    return rng.pick([`Consultation on ${topic}`, `Exam prep: ${topic}`, `Walk me through ${topic}`]);
  return rng.pick([
    `${workType}: ${topic}`,
    `${workType} on ${topic}`,
    `Help with ${topic} (${workType.toLowerCase()})`,
  ]);
}

export function orderDescription(rng: Rng, subject: string): string | null {
  if (rng.chance(0.45)) return null;
  return rng.pick([
    `University course in ${subject.toLowerCase()}; requirements attached in the chat.`,
    "Please follow the department's formatting guide.",
    "I need a clear explanation, not just the answers.",
    "Second-year level. Sources in English are fine.",
    "Deadline is firm, the seminar is the next morning.",
  ]);
}

export function courseTitle(rng: Rng, subject: string): string {
  const topic = rng.pick(TOPICS[subject] ?? GENERIC_TOPICS);
  return rng.pick([
    `${subject}: ${topic}`,
    `Mastering ${topic}`,
    `${topic} from scratch`,
    `Intensive: ${topic}`,
  ]);
}

export const CHAT_LINES = {
  client: [
    "Hi! Can you have a look at the requirements?",
    "Is the deadline realistic for you?",
    "I've sent the materials from the lecture.",
    "Thank you, that is very clear.",
    "Could you add a few more examples?",
    "When can I expect the first draft?",
  ],
  expert: [
    "Hello! Yes, I've read the task, all clear.",
    "I'll send a draft by tomorrow evening.",
    "Could you share the lecture notes?",
    "Done, please check and tell me if anything needs changing.",
    "Let's meet at the scheduled time, I'll send the link.",
    "Sure, I'll add them.",
  ],
};

export const CANCEL_REASONS = [
  "found another expert",
  "no longer needed",
  "too expensive",
  "deadline moved",
  null,
];
export const DECLINE_REASONS = ["too busy this week", "outside my expertise", "deadline too tight", null];
export const DISPUTE_REASONS = [
  "the work does not match the requirements",
  "the expert missed the session",
  "the client stopped responding",
  "quality far below what was agreed",
  "delivered after the deadline",
];
export const REVISION_REASONS = [
  "please fix the formatting",
  "two tasks are missing",
  "add references",
  null,
];
export const RESOLVE_NOTES = [
  "checked the chat and the files",
  "both parties agreed",
  "per the platform rules",
  null,
];

const EXPERT_REVIEWS: Record<number, string[]> = {
  5: [
    "Excellent, thank you!",
    "Fast and precise. Recommend.",
    "Explained everything patiently.",
    "Perfect work.",
  ],
  4: ["Good work, small delays.", "Helpful, a couple of typos.", "Solid, would order again."],
  3: ["OK, but needed a revision.", "Average, expected more detail."],
  2: ["Late and incomplete.", "Had to redo part of it myself."],
  1: ["Did not deliver what was agreed.", "Very disappointing."],
};
const CLIENT_REVIEWS: Record<number, string[]> = {
  5: ["Great client, clear task.", "Pleasure to work with.", "Paid promptly, clear requirements."],
  4: ["Good communication.", "Fine, a few late answers."],
  3: ["Requirements changed midway.", "Slow to respond."],
  2: ["Unclear task, many changes.", "Hard to reach."],
  1: ["Rude and demanding.", "Did not show up."],
};

export function reviewComment(rng: Rng, ofExpert: boolean, rating: number): string | null {
  if (rng.chance(0.35)) return null;
  return rng.pick((ofExpert ? EXPERT_REVIEWS : CLIENT_REVIEWS)[rating]!);
}

export const EDUCATION = [
  "MSc, Lomonosov Moscow State University",
  "PhD, Saint Petersburg State University",
  "BSc, Higher School of Economics",
  "MSc, Moscow Institute of Physics and Technology",
  "BA, Kazan Federal University",
  "MSc, Novosibirsk State University",
  "PhD, Bauman Moscow State Technical University",
];

export function expertBio(rng: Rng, subjects: string[], years: number): string {
  const s = subjects.join(" and ").toLowerCase();
  return rng.pick([
    `Tutor in ${s} with ${years} years of experience.`,
    `I teach ${s} at university level; ${years} years of practice.`,
    `${years} years helping students with ${s}. Clear explanations, on time.`,
  ]);
}

export function expertSkills(rng: Rng, subjects: string[]): string {
  const all = subjects.flatMap((s) => TOPICS[s] ?? GENERIC_TOPICS);
  const n = Math.min(all.length, rng.int(2, 4));
  const picked = new Set<string>();
  while (picked.size < n) picked.add(rng.pick(all));
  return [...picked].join(", ");
}

/** Lower-case ASCII letters of a name (usernames are stored lower-cased). */
export const slug = (s: string) =>
  s
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
