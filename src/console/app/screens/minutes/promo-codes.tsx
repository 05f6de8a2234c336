import { useRef, useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { Field, FormError, numberOrText, useForm } from "../../ui/form";
import { isoFromLocal, money, when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { Pager } from "../../ui/pager";
import { Table } from "../../ui/table";
import { ActionButton } from "./action";
import type { Package } from "./packages";
import { MinutesTabs } from "./tabs";

type Promo = {
  id: number;
  code: string;
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  package_id: number | null;
  valid_from: string | null;
  valid_until: string | null;
  max_redemptions: number | null;
  per_user_limit: number;
  redemptions: number;
  is_active: boolean;
};

const PAGE_SIZE = 20;
const FIELDS = [
  "code",
  "percent_off",
  "amount_off",
  "currency",
  "package_id",
  "valid_from",
  "valid_until",
  "max_redemptions",
  "per_user_limit",
];

const EMPTY = {
  code: "",
  kind: "percent",
  percent_off: "",
  amount_off: "",
  currency: "RUB",
  package_id: "",
  valid_from: "",
  valid_until: "",
  max_redemptions: "",
  per_user_limit: "1",
};

function PromoForm(props: { packages: Package[]; onDone: (msg: string) => void }) {
  const [d, setD] = useState(EMPTY);
  const set = (k: keyof typeof EMPTY) => (e: Event) =>
    setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const created = useRef<Promo | null>(null);
  const form = useForm(
    async () => {
      const percent = d.kind === "percent";
      created.current = await api<Promo>("POST", "/admin/promo-codes", {
        code: d.code,
        percent_off: percent ? numberOrText(d.percent_off) : undefined,
        amount_off: percent ? undefined : numberOrText(d.amount_off),
        currency: percent ? undefined : d.currency.trim(),
        package_id: d.package_id ? Number(d.package_id) : undefined,
        valid_from: isoFromLocal(d.valid_from),
        valid_until: isoFromLocal(d.valid_until),
        max_redemptions: numberOrText(d.max_redemptions),
        per_user_limit: numberOrText(d.per_user_limit),
      });
    },
    () => {
      props.onDone(`Promo code ${created.current!.code} created.`);
      setD(EMPTY);
    },
  );
  const amount = Number(d.amount_off);
  return (
    <form class="card minutes-form" onSubmit={form.submit} novalidate aria-labelledby="promo-form-title">
      <h2 id="promo-form-title" class="card-title">
        New promo code
      </h2>
      <div class="row">
        <Field label="Code" error={form.errors.code} hint="stored in capitals">
          {(id, dby) => (
            <input id={id} name="code" aria-describedby={dby} value={d.code} onInput={set("code")} />
          )}
        </Field>
        <Field label="Discount">
          {(id) => (
            <select id={id} name="kind" value={d.kind} onChange={set("kind")}>
              <option value="percent">percent off</option>
              <option value="amount">amount off</option>
            </select>
          )}
        </Field>
        {d.kind === "percent" ? (
          <Field label="Percent off" error={form.errors.percent_off} hint="1 to 100">
            {(id, dby) => (
              <input
                id={id}
                name="percent_off"
                inputMode="numeric"
                size={5}
                aria-describedby={dby}
                value={d.percent_off}
                onInput={set("percent_off")}
              />
            )}
          </Field>
        ) : (
          <>
            <Field
              label="Amount off (minor units)"
              error={form.errors.amount_off}
              hint={Number.isInteger(amount) && amount > 0 ? money(amount, d.currency || "RUB") : undefined}
            >
              {(id, dby) => (
                <input
                  id={id}
                  name="amount_off"
                  inputMode="numeric"
                  aria-describedby={dby}
                  value={d.amount_off}
                  onInput={set("amount_off")}
                />
              )}
            </Field>
            <Field label="Currency" error={form.errors.currency}>
              {(id, dby) => (
                <input
                  id={id}
                  name="currency"
                  size={5}
                  aria-describedby={dby}
                  value={d.currency}
                  onInput={set("currency")}
                />
              )}
            </Field>
          </>
        )}
        <Field label="Package" error={form.errors.package_id}>
          {(id, dby) => (
            <select
              id={id}
              name="package_id"
              aria-describedby={dby}
              value={d.package_id}
              onChange={set("package_id")}
            >
              <option value="">any package</option>
              {props.packages.map((p) => (
                <option key={p.id} value={p.id}>
                  #{p.id} {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div class="row">
        <Field label="Valid from (UTC)" error={form.errors.valid_from}>
          {(id, dby) => (
            <input
              id={id}
              name="valid_from"
              type="datetime-local"
              aria-describedby={dby}
              value={d.valid_from}
              onInput={set("valid_from")}
            />
          )}
        </Field>
        <Field label="Valid until (UTC)" error={form.errors.valid_until}>
          {(id, dby) => (
            <input
              id={id}
              name="valid_until"
              type="datetime-local"
              aria-describedby={dby}
              value={d.valid_until}
              onInput={set("valid_until")}
            />
          )}
        </Field>
        <Field label="Redemptions at most" error={form.errors.max_redemptions} hint="empty: no limit">
          {(id, dby) => (
            <input
              id={id}
              name="max_redemptions"
              inputMode="numeric"
              size={8}
              aria-describedby={dby}
              value={d.max_redemptions}
              onInput={set("max_redemptions")}
            />
          )}
        </Field>
        <Field label="Per user" error={form.errors.per_user_limit}>
          {(id, dby) => (
            <input
              id={id}
              name="per_user_limit"
              inputMode="numeric"
              size={5}
              aria-describedby={dby}
              value={d.per_user_limit}
              onInput={set("per_user_limit")}
            />
          )}
        </Field>
      </div>
      <FormError errors={form.errors} fields={FIELDS} />
      <button type="submit" disabled={form.busy}>
        Create promo code
      </button>
    </form>
  );
}

const discountOf = (p: Promo) =>
  p.percent_off !== null
    ? `${p.percent_off}%`
    : p.amount_off !== null
      ? money(p.amount_off, p.currency ?? "RUB")
      : "";

/** Promo codes: discounts on packages, their window and how often they were used. */
export function PromoCodes() {
  const [active, setActive] = useState("");
  const [page, setPage] = useState(1);
  const [note, setNote] = useState("");
  const list = useLoad(
    () => get<ListPage<Promo>>("/admin/promo-codes", { is_active: active, page, page_size: PAGE_SIZE }),
    [active, page],
  );
  const packages = useLoad(() => get<ListPage<Package>>("/admin/packages", { page_size: 100 }), []);
  const names = new Map((packages.data?.results ?? []).map((p) => [p.id, p.name]));
  const done = (msg: string) => {
    setNote(msg);
    list.reload();
  };
  return (
    <Page title="Promo codes">
      <MinutesTabs />
      {note ? (
        <p class="ok" role="status">
          {note}
        </p>
      ) : null}
      <PromoForm packages={packages.data?.results ?? []} onDone={done} />
      <div class="card">
        <div class="row">
          <Field label="Show">
            {(id) => (
              <select
                id={id}
                value={active}
                onChange={(e) => {
                  setActive(e.currentTarget.value);
                  setPage(1);
                }}
              >
                <option value="">all codes</option>
                <option value="true">active</option>
                <option value="false">inactive</option>
              </select>
            )}
          </Field>
        </div>
        <ErrorNote error={list.error} />
        <Loading when={list.loading && !list.data} />
        {list.data ? (
          <>
            <div class="minutes-table" style={{ "--table-min": "44rem" }}>
              <Table<Promo>
                caption="Promo codes"
                rowKey={(p) => p.id}
                rows={list.data.results}
                empty="No promo codes yet."
                columns={[
                  { key: "code", label: "Code", render: (p) => <code>{p.code}</code> },
                  { key: "discount", label: "Discount", numeric: true, render: discountOf },
                  {
                    key: "package_id",
                    label: "Package",
                    render: (p) =>
                      p.package_id === null ? "any" : (names.get(p.package_id) ?? `#${p.package_id}`),
                  },
                  {
                    key: "valid",
                    label: "Valid",
                    render: (p) =>
                      p.valid_from || p.valid_until
                        ? `${when(p.valid_from, "…")} – ${when(p.valid_until, "…")}`
                        : "always",
                  },
                  {
                    key: "redemptions",
                    label: "Used",
                    numeric: true,
                    render: (p) =>
                      `${p.redemptions}${p.max_redemptions === null ? "" : ` / ${p.max_redemptions}`}`,
                  },
                  { key: "per_user_limit", label: "Per user", numeric: true },
                  {
                    key: "is_active",
                    label: "Status",
                    render: (p) => <span class="pill">{p.is_active ? "active" : "inactive"}</span>,
                  },
                  {
                    key: "actions",
                    label: "Actions",
                    render: (p) =>
                      p.is_active ? (
                        <ActionButton
                          confirm="Confirm deactivate"
                          label={`Deactivate promo code ${p.code}`}
                          onRun={async () => {
                            await api("DELETE", `/admin/promo-codes/${p.id}`);
                            done(`Promo code ${p.code} deactivated.`);
                          }}
                        >
                          Deactivate
                        </ActionButton>
                      ) : (
                        <ActionButton
                          label={`Activate promo code ${p.code}`}
                          onRun={async () => {
                            await api("PATCH", `/admin/promo-codes/${p.id}`, { is_active: true });
                            done(`Promo code ${p.code} active again.`);
                          }}
                        >
                          Activate
                        </ActionButton>
                      ),
                  },
                ]}
              />
            </div>
            <Pager page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={setPage} />
          </>
        ) : null}
      </div>
    </Page>
  );
}
