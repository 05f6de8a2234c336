import { COURSE_STATUSES } from "../../db/schema";

/** Events of courses and learners. */
export const COURSE_EVENT_TYPES: Record<string, string> = {
  "course.created": "An expert created a course",
  "course.updated": "A course was edited",
  "course.enrolled": "A learner enrolled",
  "course.progressed": "A learner's progress changed",
  "course.completed": "A learner completed a course",
  "course.rated": "A learner rated a course",
  ...Object.fromEntries(COURSE_STATUSES.map((s) => [`course.${s}`, `A course became ${s}`])),
};
