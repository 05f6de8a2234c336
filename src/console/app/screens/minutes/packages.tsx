import { useRef, useState } from "preact/hooks";
import { api, get, type ListPage } from "../../api";
import { ActionButton } from "../../ui/action";
import { eitherOr, SelectField, TextField, useDraft } from "../../ui/fields";
import { useFilters } from "../../ui/filters";
import { FormError, numberOrText, useForm } from "../../ui/form";
import { minutes, money } from "../../ui/format";
import { ListTable } from "../../ui/list";
import { useLoad } from "../../ui/load";
import { Notice, Page } from "../../ui/page";
import { MinutesTabs } from "./tabs";

export type Package = {
  id: number;
  name: string;
  description: string | null;
  seconds: number;
  minutes: number;
  price: number;
  currency: string;
  validity_days: number;
  is_active: boolean;
  sort_order: number;
  created_at: string;
};

const PAGE_SIZE = 20;
const SHOW = eitherOr("all packages", "on sale", "off sale");
const FIELDS = [
  "name",
  "seconds",
  "price",
  "currency",
  "validity_days",
  "description",
  "sort_order",
] as const;
type Draft = Record<(typeof FIELDS)[number], string>;

const draftOf = (p: Package | null): Draft => ({
  name: p?.name ?? "",
  seconds: p ? String(p.seconds) : "3600",
  price: p ? String(p.price) : "",
  currency: p?.currency ?? "RUB",
  validity_days: p ? String(p.validity_days) : "30",
  description: p?.description ?? "",
  sort_order: p ? String(p.sort_order) : "",
});

/** The body the API takes: numbers as numbers, and on an edit only what changed. */
function bodyOf(d: Draft, was: Package | null): Record<string, unknown> {
  const all: Record<string, unknown> = {
    name: d.name,
    seconds: numberOrText(d.seconds),
    price: numberOrText(d.price),
    currency: d.currency.trim(),
    validity_days: numberOrText(d.validity_days),
    description: d.description.trim() === "" ? (was ? null : undefined) : d.description,
    sort_order: numberOrText(d.sort_order),
  };
  if (!was) return all;
  const before = bodyOf(draftOf(was), null);
  if (before.description === undefined) before.description = null;
  return Object.fromEntries(Object.entries(all).filter(([k, v]) => v !== before[k]));
}

/** Create a package, or change the one being edited. */
function PackageForm(props: { pkg: Package | null; onDone: (msg: string) => void; onCancel: () => void }) {
  const { draft: d, field } = useDraft<Draft>(() => draftOf(props.pkg));
  const saved = useRef<Package | null>(null);
  const form = useForm(
    async () => {
      saved.current = props.pkg
        ? await api<Package>("PATCH", `/admin/packages/${props.pkg.id}`, bodyOf(d, props.pkg))
        : await api<Package>("POST", "/admin/packages", bodyOf(d, null));
    },
    () => {
      const p = saved.current!;
      props.onDone(`Package #${p.id} “${p.name}” ${props.pkg ? "saved" : "created"}.`);
    },
  );
  const secs = Number(d.seconds);
  const price = Number(d.price);
  return (
    <form class="card minutes-form" onSubmit={form.submit} novalidate aria-labelledby="package-form-title">
      <h2 id="package-form-title" class="card-title">
        {props.pkg ? `Edit package #${props.pkg.id}` : "New package"}
      </h2>
      <div class="row">
        <TextField label="Name" {...field("name", form.errors)} />
        <TextField
          label="Seconds"
          hint={Number.isInteger(secs) && secs > 0 ? minutes(secs) : "whole seconds"}
          inputMode="numeric"
          {...field("seconds", form.errors)}
        />
        <TextField
          label="Price (minor units)"
          hint={
            Number.isInteger(price) && d.price !== "" ? money(price, d.currency || "RUB") : "kopecks, cents"
          }
          inputMode="numeric"
          {...field("price", form.errors)}
        />
        <TextField label="Currency" size={5} {...field("currency", form.errors)} />
        <TextField
          label="Valid for (days)"
          inputMode="numeric"
          size={6}
          {...field("validity_days", form.errors)}
        />
        <TextField
          label="Sort order"
          hint="lower first"
          inputMode="numeric"
          size={6}
          {...field("sort_order", form.errors)}
        />
      </div>
      <TextField label="Description" class="minutes-wide" {...field("description", form.errors)} />
      <FormError errors={form.errors} fields={[...FIELDS]} />
      <div class="row">
        <button type="submit" disabled={form.busy}>
          {props.pkg ? "Save package" : "Create package"}
        </button>
        {props.pkg ? (
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** Minute packages: what is on sale, at what price, for how long. */
export function Packages() {
  const f = useFilters({ is_active: "" });
  const [editing, setEditing] = useState<Package | null>(null);
  const [note, setNote] = useState("");
  // A new key empties the form after a save.
  const [saves, setSaves] = useState(0);
  const list = useLoad(
    () => get<ListPage<Package>>("/admin/packages", { ...f.applied, page: f.page, page_size: PAGE_SIZE }),
    [f.applied, f.page],
  );
  const done = (msg: string) => {
    setNote(msg);
    setEditing(null);
    setSaves((n) => n + 1);
    list.reload();
  };
  const putOnSale = async (p: Package, on: boolean) => {
    if (on) await api("PATCH", `/admin/packages/${p.id}`, { is_active: true });
    else await api("DELETE", `/admin/packages/${p.id}`);
    done(`Package #${p.id} ${on ? "back on sale" : "taken off sale"}.`);
  };
  return (
    <Page title="Packages">
      <MinutesTabs />
      <Notice>{note}</Notice>
      <PackageForm
        key={`${editing?.id ?? "new"}-${saves}`}
        pkg={editing}
        onDone={done}
        onCancel={() => setEditing(null)}
      />
      <div class="card">
        <div class="row">
          <SelectField label="Show" options={SHOW} {...f.now("is_active")} />
        </div>
        <ListTable<Package>
          list={list}
          page={f.page}
          pageSize={PAGE_SIZE}
          onPage={f.setPage}
          minWidth="44rem"
          caption="Packages"
          rowKey={(p) => p.id}
          columns={[
            { key: "id", label: "#", numeric: true },
            {
              key: "name",
              label: "Name",
              render: (p) => (
                <>
                  <strong>{p.name}</strong>
                  {p.description ? <div class="muted">{p.description}</div> : null}
                </>
              ),
            },
            { key: "minutes", label: "Minutes", numeric: true, render: (p) => minutes(p.seconds) },
            { key: "price", label: "Price", numeric: true, render: (p) => money(p.price, p.currency) },
            { key: "validity_days", label: "Valid (days)", numeric: true },
            { key: "sort_order", label: "Order", numeric: true },
            {
              key: "is_active",
              label: "Status",
              render: (p) => <span class="pill">{p.is_active ? "on sale" : "off sale"}</span>,
            },
            {
              key: "actions",
              label: "Actions",
              render: (p) => (
                <span class="minutes-actions">
                  <button
                    type="button"
                    class="secondary"
                    aria-label={`Edit package ${p.name}`}
                    onClick={() => {
                      setEditing(p);
                      setNote("");
                      document.getElementById("package-form-title")?.scrollIntoView();
                    }}
                  >
                    Edit
                  </button>
                  {p.is_active ? (
                    <ActionButton
                      confirm="Take off sale"
                      label={`Deactivate package ${p.name}`}
                      onRun={() => putOnSale(p, false)}
                    >
                      Deactivate
                    </ActionButton>
                  ) : (
                    <ActionButton label={`Put package ${p.name} on sale`} onRun={() => putOnSale(p, true)}>
                      Put on sale
                    </ActionButton>
                  )}
                </span>
              ),
            },
          ]}
        />
      </div>
    </Page>
  );
}
