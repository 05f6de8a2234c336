import { get } from "../../api";
import { money, when } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote, Loading, Page } from "../../ui/page";
import { type Column, Table } from "../../ui/table";
import { usdt } from "./format";
import type { PlatformBalance as Balance, Rate } from "./types";

const rateColumns: Column<Rate>[] = [
  { key: "currency", label: "Currency" },
  { key: "rate", label: "1 USDT", numeric: true, render: (r) => money(r.rate, r.currency) },
  { key: "updated_at", label: "Set (UTC)", render: (r) => when(r.updated_at) },
];

/**
 * The gateway's money now (admins): the platform's USDT revenue, what stores and traders hold, and
 * the clearing account USDT enters and leaves by. The USDT accounts sum to zero; the screen checks.
 */
export function PlatformBalance() {
  const data = useLoad(
    async () => ({
      balance: await get<Balance>("/admin/gateway/platform-balance"),
      rates: await get<{ results: Rate[] }>("/gateway/rates"),
    }),
    [],
  );
  const d = data.data;
  const revenue = d?.balance.revenue.find((r) => r.currency === "USDT")?.amount ?? 0;
  const other = d?.balance.revenue.filter((r) => r.currency !== "USDT") ?? [];
  const sum = d
    ? revenue +
      d.balance.stores.available +
      d.balance.stores.held +
      d.balance.traders.available +
      d.balance.traders.held +
      d.balance.clearing.balance
    : 0;
  return (
    <Page
      title="Platform balance"
      actions={
        <button type="button" class="secondary" onClick={data.reload}>
          Refresh
        </button>
      }
    >
      <ErrorNote error={data.error} />
      <Loading when={data.loading && !d} />
      {d ? (
        <>
          <dl class="stats gw-balance">
            <div>
              <dt>Platform revenue</dt>
              <dd>{usdt(revenue)}</dd>
            </div>
            <div>
              <dt>Stores: available</dt>
              <dd>{usdt(d.balance.stores.available)}</dd>
            </div>
            <div>
              <dt>Stores: held by pay-outs</dt>
              <dd>{usdt(d.balance.stores.held)}</dd>
            </div>
            <div>
              <dt>Traders: deposits available</dt>
              <dd>{usdt(d.balance.traders.available)}</dd>
            </div>
            <div>
              <dt>Traders: held by pay-ins</dt>
              <dd>{usdt(d.balance.traders.held)}</dd>
            </div>
            <div>
              <dt>Clearing</dt>
              <dd>{usdt(d.balance.clearing.balance)}</dd>
            </div>
          </dl>
          <div class="card">
            <p class={sum === 0 ? "ok" : "error"} data-books={sum === 0 ? "balanced" : "off"}>
              {sum === 0
                ? "The USDT books balance: revenue, stores, traders and clearing sum to zero."
                : `The USDT accounts are off by ${usdt(sum)}: they should sum to zero.`}
            </p>
            <p class="muted">
              Clearing is negative by the USDT that came into the gateway (deposits credited to traders) and
              has not left it (withdrawals to stores).
            </p>
          </div>
          <div class="charts">
            <div class="card">
              <h2 class="card-title">Exchange rates</h2>
              <Table
                columns={rateColumns}
                rows={d.rates.results}
                rowKey={(r) => r.currency}
                empty="No rates set."
              />
            </div>
            {other.length ? (
              <div class="card">
                <h2 class="card-title">Platform revenue in other currencies</h2>
                <Table
                  columns={[
                    { key: "currency", label: "Currency" },
                    {
                      key: "amount",
                      label: "Revenue",
                      numeric: true,
                      render: (r: { currency: string; amount: number }) => money(r.amount, r.currency),
                    },
                  ]}
                  rows={other}
                  rowKey={(r) => r.currency}
                />
                <p class="muted">The marketplace's commissions, outside the gateway.</p>
              </div>
            ) : null}
          </div>
        </>
      ) : null}
    </Page>
  );
}
