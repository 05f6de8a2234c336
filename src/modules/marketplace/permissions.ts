/**
 * Permission strings of the marketplace and courses. End users (clients, experts) hold the
 * `orders:*`-style actions through their role; `expert:*` is the expert role; the rest is staff.
 */
export const MP = {
  ordersRead: "orders:read",
  ordersWrite: "orders:write",
  /** Staff: see (not act on) any order, its timeline, chat and files. */
  ordersReadAny: "orders:read_any",
  /** Admin: confirm payments and override statuses of any order. */
  ordersManage: "orders:manage",
  disputesResolve: "disputes:resolve",
  messagesRead: "messages:read",
  messagesWrite: "messages:write",
  reviewsRead: "reviews:read",
  reviewsWrite: "reviews:write",
  expertsApply: "experts:apply",
  /** Expert-role actions. */
  expertOrders: "expert:orders",
  expertProfile: "expert:profile",
  expertDashboard: "expert:dashboard",
  expertCourses: "expert:courses",
  /** Admin: applications, documents, specializations, suspend/activate experts. */
  expertsRead: "experts:read",
  expertsReview: "experts:review",
  expertsManage: "experts:manage",
  catalogWrite: "catalog:write",
  coursesRead: "courses:read",
  coursesWrite: "courses:write",
  /** Staff: see draft and archived courses and any course's learners. */
  coursesReadAny: "courses:read_any",
} as const;
