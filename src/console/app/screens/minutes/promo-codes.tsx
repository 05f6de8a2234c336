import { useRef, useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { ActionButton } from "../../ui/action";
import { eitherOr, SelectField, TextField, useDraft } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { FormError, numberOrText, useForm } from "../../ui/form";
import { isoFromLocal, money, when } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Notice, Page } from "../../ui/page";
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

const KINDS = [
  ["percent", "percent off"],
  ["amount", "amount off"],
] as const;
const SHOW = eitherOr("all codes", "active", "inactive");

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
  const { draft: d, setDraft, field } = useDraft(EMPTY);
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
      setDraft(EMPTY);
    },
  );
  const amount = Number(d.amount_off);
  const issues = form.errors;
  return (
    <form class="card minutes-form" onSubmit={form.submit} novalidate aria-labelledby="promo-form-title">
      <h2 id="promo-form-title" class="card-title">
        New promo code
      </h2>
      <div class="row">
        <TextField label="Code" hint="stored in capitals" {...field("code", issues)} />
        <SelectField label="Discount" options={KINDS} {...field("kind", issues)} />
        {d.kind === "percent" ? (
          <TextField
            label="Percent off"
            hint="1 to 100"
            inputMode="numeric"
            size={5}
            {...field("percent_off", issues)}
          />
        ) : (
          <>
            <TextField
              label="Amount off (minor units)"
              hint={Number.isInteger(amount) && amount > 0 ? money(amount, d.currency || "RUB") : undefined}
              inputMode="numeric"
              {...field("amount_off", issues)}
            />
            <TextField label="Currency" size={5} {...field("currency", issues)} />
          </>
        )}
        <SelectField
          label="Package"
          options={[
            ["", "any package"],
            ...props.packages.map((p) => [String(p.id), `#${p.id} ${p.name}`] as const),
          ]}
          {...field("package_id", issues)}
        />
      </div>
      <div class="row">
        <TextField label="Valid from (UTC)" type="datetime-local" {...field("valid_from", issues)} />
        <TextField label="Valid until (UTC)" type="datetime-local" {...field("valid_until", issues)} />
        <TextField
          label="Redemptions at most"
          hint="empty: no limit"
          inputMode="numeric"
          size={8}
          {...field("max_redemptions", issues)}
        />
        <TextField label="Per user" inputMode="numeric" size={5} {...field("per_user_limit", issues)} />
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
  const f = useFilters({ is_active: "" });
  const [note, setNote] = useState("");
  const list = useLoad(
    () => get<ListPage<Promo>>("/admin/promo-codes", { ...f.applied, page: f.page, page_size: PAGE_SIZE }),
    [f.applied, f.page],
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
      <Notice>{note}</Notice>
      <PromoForm packages={packages.data?.results ?? []} onDone={done} />
      <div class="card">
        <div class="row">
          <SelectField label="Show" options={SHOW} {...f.now("is_active")} />
        </div>
        <ListTable<Promo>
          list={list}
          page={f.page}
          pageSize={PAGE_SIZE}
          onPage={f.setPage}
          minWidth="44rem"
          caption="Promo codes"
          rowKey={(p) => p.id}
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
              render: (p) => `${p.redemptions}${p.max_redemptions === null ? "" : ` / ${p.max_redemptions}`}`,
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
    </Page>
  );
}
