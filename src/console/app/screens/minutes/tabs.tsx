import { route } from "../../router";
import { allowed } from "../../session";

/** The minutes screens, one nav entry in the shell and these tabs inside it. */
export const MINUTES_TABS = [
  { path: "/minutes", title: "Packages", permission: "packages:read_all" },
  { path: "/minutes/promo-codes", title: "Promo codes", permission: "packages:read_all" },
  { path: "/minutes/purchases", title: "Purchases", permission: "purchases:read_all" },
  { path: "/minutes/grant", title: "Give or take minutes", permission: "minutes:adjust" },
];

export function MinutesTabs() {
  return (
    <nav class="minutes-tabs" aria-label="Minutes">
      <ul>
        {MINUTES_TABS.filter((t) => allowed(t.permission)).map((t) => (
          <li key={t.path}>
            <a href={`#${t.path}`} aria-current={route.value === t.path ? "page" : undefined}>
              {t.title}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
