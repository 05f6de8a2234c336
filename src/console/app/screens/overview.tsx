import { useState } from "preact/hooks";
import { downloadCsv, get } from "../api";
import { Chart } from "../ui/chart";
import { SelectField } from "../ui/fields";
import { Field } from "../ui/form";
import { money } from "../ui/format";
import { useLoad } from "../ui/load";
import { ErrorNote, Loading, Page } from "../ui/page";

type Growth = { data: { date: string; new_users: number }[] };
type Revenue = {
  analytics: {
    total_revenue: number;
    transaction_count: number;
    currency: string;
    daily_revenue: { date: string; revenue: number }[];
  };
};
type Sessions = { analytics: { total: number; by_status: Record<string, number> } };
type Daily = { results: ({ date: string } & Record<string, number | string | null>)[] };
type Platform = {
  users: { total: number };
  sessions: { total: number; completion_rate: number };
  revenue: { total: number; currency: string };
};

const DAYS = [7, 30, 90, 180, 365];
/** Daily metrics columns offered on the chart. */
const METRICS = [
  "new_users",
  "active_users",
  "orders_created",
  "orders_completed",
  "platform_revenue",
  "gmv",
];

function isoDay(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

/** The analytics as charts, each with its CSV. */
export function Overview() {
  const [days, setDays] = useState(30);
  const [from, setFrom] = useState(isoDay(-30));
  const [to, setTo] = useState(isoDay(-1));
  const [metric, setMetric] = useState("new_users");
  const figures = useLoad(
    async () => ({
      platform: await get<Platform>("/analytics/platform"),
      growth: await get<Growth>("/analytics/user-growth", { days }),
      revenue: await get<Revenue>("/analytics/revenue", { days }),
      sessions: await get<Sessions>("/analytics/sessions", { days }),
    }),
    [days],
  );
  const daily = useLoad(() => get<Daily>("/admin/metrics/daily", { from, to }), [from, to]);
  const f = figures.data;
  return (
    <Page
      title="Overview"
      actions={
        <SelectField
          label="Period"
          options={DAYS.map((d) => [String(d), `last ${d} days`] as const)}
          value={String(days)}
          onValue={(d) => setDays(Number(d))}
        />
      }
    >
      <ErrorNote error={figures.error} />
      <Loading when={figures.loading && !f} />
      {f ? (
        <>
          <dl class="stats">
            <div>
              <dt>Users</dt>
              <dd>{f.platform.users.total}</dd>
            </div>
            <div>
              <dt>Sessions</dt>
              <dd>{f.platform.sessions.total}</dd>
            </div>
            <div>
              <dt>Completion</dt>
              <dd>{f.platform.sessions.completion_rate}%</dd>
            </div>
            <div>
              <dt>Revenue (all time)</dt>
              <dd>{money(f.platform.revenue.total, f.platform.revenue.currency)}</dd>
            </div>
          </dl>
          <div class="charts">
            <div class="card">
              <Chart
                title="User growth"
                days={f.growth.data.map((d) => d.date)}
                series={[{ label: "new users", values: f.growth.data.map((d) => d.new_users) }]}
              />
              <button
                type="button"
                class="link"
                onClick={() => downloadCsv("/analytics/user-growth", { days }, "user-growth.csv")}
              >
                Download CSV
              </button>
            </div>
            <div class="card">
              <Chart
                title={`Revenue per day (${f.revenue.analytics.currency})`}
                days={f.revenue.analytics.daily_revenue.map((d) => d.date)}
                series={[
                  { label: "revenue", values: f.revenue.analytics.daily_revenue.map((d) => d.revenue / 100) },
                ]}
              />
              <button
                type="button"
                class="link"
                onClick={() => downloadCsv("/analytics/revenue", { days }, "revenue.csv")}
              >
                Download CSV
              </button>
            </div>
            <div class="card">
              <h2 class="card-title">Sessions by status</h2>
              <ul class="bars" aria-label="Sessions by status">
                {Object.entries(f.sessions.analytics.by_status).map(([status, n]) => (
                  <li key={status}>
                    <span>{status}</span>
                    <span
                      class="bar"
                      style={{
                        width: `${f.sessions.analytics.total ? (n / f.sessions.analytics.total) * 100 : 0}%`,
                      }}
                    />
                    <span class="num">{n}</span>
                  </li>
                ))}
              </ul>
              <button
                type="button"
                class="link"
                onClick={() => downloadCsv("/analytics/sessions", { days }, "sessions.csv")}
              >
                Download CSV
              </button>
            </div>
          </div>
        </>
      ) : null}
      <div class="card">
        <h2 class="card-title">Daily metrics</h2>
        <div class="row">
          <Field label="From">
            {(id) => (
              <input id={id} type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
            )}
          </Field>
          <Field label="To">
            {(id) => <input id={id} type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />}
          </Field>
          <SelectField label="Figure" options={METRICS} value={metric} onValue={setMetric} />
        </div>
        <ErrorNote error={daily.error} />
        {daily.data ? (
          <Chart
            title={`Daily ${metric}`}
            days={daily.data.results.map((r) => r.date)}
            series={[{ label: metric, values: daily.data.results.map((r) => Number(r[metric] ?? 0)) }]}
          />
        ) : null}
        <button
          type="button"
          class="link"
          onClick={() => downloadCsv("/admin/metrics/daily", { from, to }, "daily-metrics.csv")}
        >
          Download CSV
        </button>
      </div>
    </Page>
  );
}
