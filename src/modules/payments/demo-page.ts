import { minorToDecimal } from "../../providers/yookassa";
import type { PurchaseRow } from "./service";
import type { WebhookOutcome } from "./webhooks";

/** The demo provider's pages: plain HTML, inline style, no scripts and no external assets. */

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.6rem .8rem;border-radius:6px;font-size:.9rem}
.amount{font-size:2rem;margin:.5rem 0}form{display:inline-block;margin-right:.5rem}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #888;cursor:pointer}
button.pay{background:#1a7f37;color:#fff;border-color:#1a7f37}`;

function layout(title: string, body: string) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><p class="banner">Demo payments: no money moves. This page stands in for a payment provider and must never be used in production.</p>
${body}
</body></html>`;
}

const price = (p: PurchaseRow) => `${minorToDecimal(p.amount, p.currency)} ${p.currency}`;

export function payPage(p: PurchaseRow, title: string) {
  const head = `<h1>${esc(title)}</h1><p>Purchase #${p.id}</p><p class="amount">${esc(price(p))}</p>`;
  if (p.status !== "pending") {
    return layout("Demo payment", `${head}<p>This payment is already <strong>${esc(p.status)}</strong>.</p>`);
  }
  const button = (action: string, label: string, cls = "") =>
    `<form method="post"><input type="hidden" name="action" value="${action}"><button type="submit"${cls ? ` class="${cls}"` : ""}>${label}</button></form>`;
  return layout("Demo payment", `${head}${button("pay", "Pay", "pay")}${button("decline", "Decline")}`);
}

const OUTCOME_TEXT: Record<WebhookOutcome["outcome"], string> = {
  succeeded: "Payment completed. You can close this page.",
  already_processed: "This payment was already completed.",
  failed: "Payment declined.",
  pending: "The payment is pending.",
  ignored: "Nothing changed: this payment is no longer open.",
};

export function resultPage(p: PurchaseRow, title: string, outcome: WebhookOutcome["outcome"]) {
  return layout(
    "Demo payment",
    `<h1>${esc(title)}</h1><p>Purchase #${p.id}: ${esc(price(p))}</p><p><strong>${OUTCOME_TEXT[outcome]}</strong></p><p>Status: ${esc(p.status)}</p>`,
  );
}
