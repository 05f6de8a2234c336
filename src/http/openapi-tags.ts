/** What each tag of the API reference groups, in the order the reference lists them. */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  auth: "Sign up and sign in: email and password, Telegram (Mini App or Login Widget), refresh-token rotation, logout, and creating the first admin of a fresh install.",
  me: "The caller's own profile and API keys. Keys are shown once, at creation; each carries scopes that never exceed its creator's permissions.",
  bot: "For a partner's bot server holding a `bot:act_as` key: create or update end users by Telegram id, then call other routes as them with `X-Act-As-Telegram-Id`.",
  notifications:
    "In-app notifications of the caller (also sent by Telegram and email where the user has them).",
  packages: "Minute packages on sale, readable without signing in.",
  purchases: "Buying minute packages with Stripe, YooKassa or the wallet, and following those purchases.",
  minutes:
    "Prepaid minutes: the balance in seconds, recording usage (billed in blocks, from the grant that expires first), and holds that reserve seconds ahead of a session.",
  wallet:
    "The caller's money wallet in minor units: available and held funds, transfers, and top-ups through a payment provider.",
  catalog: "Reference lists that orders are filed under: subjects, work types and complexities.",
  experts:
    "Becoming and being an expert: the application, verification documents, and the subjects the expert works in.",
  orders:
    "Orders (kind `work`) and appointments (kind `session`) between a client and an expert: quote, payment into escrow or by manual transfer, work, delivery, acceptance, revisions and disputes.",
  chat: "The chat of an order between its client and expert, with read markers.",
  reviews: "Ratings after a completed order, both ways, and an expert's public reviews.",
  courses: "Courses by experts: drafts, publishing, paid enrollment from the wallet, progress and ratings.",
  dashboard: "Role-aware counts for a front end's home screen.",
  "expert dashboard":
    "An expert's workspace: statistics, orders to take and in progress, earnings, transfers, reviews and notifications.",
  webhooks:
    "Callbacks from payment providers. Called by Stripe and YooKassa, not by souk's clients; each is verified before anything is credited.",
  flags:
    "Every feature flag's value for the caller, signed in or anonymous. Services with an API key can also use souk as an OpenFeature provider at `/ofrep/v1/evaluate/flags`.",
  events:
    "The platform's event log: every change souk makes is recorded as an event (`order.created`, `purchase.succeeded`, …) with its actor, subject and payload. Staff read it; rules and outgoing webhooks subscribe to its types.",
  "demo payments":
    "A stand-in payment provider for trying souk without a real one. Only where the server runs with `DEMO_PAYMENTS=true`, never in production.",
  "admin: users":
    "Staff tools for user accounts: search, ban and unban, roles and granted permissions, wallet credits.",
  "admin: packages": "Manage minute packages and promo codes.",
  "admin: billing":
    "Staff views of every purchase and usage event, and giving or taking back a user's minutes.",
  admin: "Staff money actions, such as refunding a purchase to the user's wallet.",
  "admin: catalog": "Manage the catalog lists: create, rename, reorder, deactivate.",
  "admin: experts":
    "Review expert applications, documents and specializations; suspend or re-activate experts.",
  "admin: orders": "Staff overrides on orders: confirm manual payments and set statuses (audited).",
  "admin: rules":
    "The rule engine: JSON rules that react to platform events (notify, change an order's status through its state machine, tag, flag, ask admins for attention), their dry runs, replays and run log; the attention queue, tags and flags rules leave.",
  "admin: webhooks":
    "Outgoing webhooks (Standard Webhooks): endpoints that receive platform events by type pattern, signed with a `whsec_` secret shown once; test pings, the delivery log with retries, and redelivery.",
  "admin: flags":
    "Feature flags: on or off per flag, for listed users, for roles, and for a stable share of users (rollout percent); built-in flags are listed with their default. Every change is audited with the flag before and after.",
  "admin: system":
    "Runtime settings, process and queue status, running a scheduled action now, and the audit log.",
  analytics:
    "Figures about the platform for staff (users, sessions, courses, revenue; daily series over 1-365 days) and each user's engagement score. Cached for minutes and cleared by the changes that affect them; every one downloads as CSV with `?format=csv`.",
  gateway:
    "The payment gateway's shared reads: exchange rates (fiat minor units per 1 USDT) that fix each order's USDT amount.",
  "gateway: orders":
    "Pay-ins and pay-outs for merchants (a token or an API key scoped `gateway:merchant:*`): creation idempotent on `client_order_id`, status polling, the customer's payment confirmation, disputes, and the signed callbacks an order sent.",
  "gateway: stores":
    "A merchant's stores: name, callback url, the `whsec_` secret callbacks are signed with (shown once, rotatable), and the store's USDT balance.",
  "gateway: trader":
    "A trader's workspace: bank requisites (moderated before use), the in-work switch, the USDT deposit, and the orders routed to the trader to confirm or cancel.",
  "gateway: teamlead":
    "A teamlead's team: its traders (online state, deposit, today's volume) and their statistics, the team's online requisites, and each trader's traffic switch.",
  "gateway: support":
    "Support's gateway queue: every order with its selection log and fraud reasons, fraud reviews and dispute resolution.",
  "admin: gateway":
    "Running the gateway: traders, store commissions, exchange rates, deposit credits and store withdrawals (all audited), requisite moderation, the platform's balance, statistics of merchants, traders, teamleads and supports, and online requisites.",
  ops: "Health of the service, for load balancers and monitors.",
};
