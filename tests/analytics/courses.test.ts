import { beforeAll, describe, expect, test } from "bun:test";
import { expectError, makeTestApp } from "../helpers/app";
import { makeExpert } from "../helpers/marketplace";
import { course, learn, parseCsv, type User, V } from "./flows";

const t = makeTestApp();
let admin: User;
let client: User;
const ids = { python: 0, intro: 0, draft: 0 };
const TITLES = {
  python: 'Python, "quoted" basics',
  intro: "Line one\nline two, with a comma",
  draft: "Draft; not yet public",
};

/**
 * Python: three learners (progress 50 and rated 5; 100, so completed, rated 4; 0). Intro: one
 * learner at 30, no rating. The draft: nobody.
 */
beforeAll(async () => {
  admin = await t.user("admin");
  const e1 = await makeExpert(t);
  const e2 = await makeExpert(t);
  const learners = [await t.user("client"), await t.user("client"), await t.user("client")];
  client = learners[0]!;
  ids.python = await course(t, e1, TITLES.python, 150_00);
  ids.intro = await course(t, e2, TITLES.intro);
  const d = await t.call("POST", `${V}/courses`, { token: e2.token, body: { title: TITLES.draft } });
  ids.draft = d.body.id;
  await learn(t, learners[0]!, ids.python, { price: 150_00, progress: 50, rating: 5 });
  await learn(t, learners[1]!, ids.python, { price: 150_00, progress: 100, rating: 4 });
  await learn(t, learners[2]!, ids.python, { price: 150_00 });
  await learn(t, learners[2]!, ids.intro, { progress: 30 });
});

const get = (query = "", token = admin.token) => t.call("GET", `${V}/analytics/courses${query}`, { token });

const expected = () => ({
  python: {
    course_id: ids.python,
    course_title: TITLES.python,
    enrollments: 3,
    avg_progress: 50,
    completed: 1,
    completion_rate: 33.33,
    avg_rating: 4.5,
  },
  intro: {
    course_id: ids.intro,
    course_title: TITLES.intro,
    enrollments: 1,
    avg_progress: 30,
    completed: 0,
    completion_rate: 0,
    avg_rating: null,
  },
  draft: {
    course_id: ids.draft,
    course_title: TITLES.draft,
    enrollments: 0,
    avg_progress: 0,
    completed: 0,
    completion_rate: 0,
    avg_rating: null,
  },
});

describe("GET /analytics/courses", () => {
  test("every course, drafts too, most enrolled first", async () => {
    const r = await get();
    expect(r.status).toBe(200);
    const e = expected();
    expect(r.body).toEqual({ courses: [e.python, e.intro, e.draft] });
  });

  test("?course_id= answers that course alone; an unknown one is 404, a malformed one 400", async () => {
    expect((await get(`?course_id=${ids.python}`)).body).toEqual(expected().python);
    expect((await get(`?course_id=${ids.draft}`)).body).toEqual(expected().draft);
    expectError(await get("?course_id=99999"), 404, "not_found");
    for (const q of ["?course_id=abc", "?course_id=0", "?course_id=-1", "?course_id=1.5", "?courseid=1"])
      expectError(await get(q), 400, "validation_failed");
  });

  test("CSV: titles with commas, quotes and line breaks round-trip to the JSON figures", async () => {
    const res = await t.app.request(`${V}/analytics/courses?format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="courses.csv"');
    const rows = parseCsv(await res.text());
    const header = rows[0]!;
    expect(header).toEqual([
      "course_id",
      "course_title",
      "enrollments",
      "avg_progress",
      "completed",
      "completion_rate",
      "avg_rating",
    ]);
    const json = (await get()).body.courses as Record<string, unknown>[];
    const back = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    expect(back).toEqual(
      json.map((c) => Object.fromEntries(header.map((h) => [h, c[h] == null ? "" : String(c[h])]))),
    );
    expect(back[0]!.course_title).toBe(TITLES.python);
    expect(back[1]!.course_title).toBe(TITLES.intro);

    const one = await t.app.request(`${V}/analytics/courses?course_id=${ids.intro}&format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(one.headers.get("content-disposition")).toBe(`attachment; filename="course-${ids.intro}.csv"`);
    expect(parseCsv(await one.text())).toEqual([
      header,
      [String(ids.intro), TITLES.intro, "1", "30", "0", "0", ""],
    ]);
  });

  test("CSV: a title a spreadsheet would run as a formula is written as text", async () => {
    const e = await makeExpert(t);
    const id = await course(t, e, '=HYPERLINK("http://evil.example","click")');
    const res = await t.app.request(`${V}/analytics/courses?course_id=${id}&format=csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(parseCsv(await res.text())[1]![1]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect((await get(`?course_id=${id}`)).body.course_title).toBe(
      '=HYPERLINK("http://evil.example","click")',
    );
  });

  test("staff only: a learner 403, nobody 401", async () => {
    expectError(await get("", client.token), 403, "forbidden");
    expectError(await t.call("GET", `${V}/analytics/courses`), 401, "unauthenticated");
  });
});
