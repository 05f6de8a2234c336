import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"];

export type Series = { label: string; values: (number | null)[] };

/**
 * A time series chart (uPlot, canvas): `days` are YYYY-MM-DD, one value per day per series.
 * The figures are also in a visually hidden table for screen readers and keyboard users.
 */
export function Chart(props: { title: string; days: string[]; series: Series[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: el.clientWidth || 320,
        height: props.height ?? 220,
        scales: { x: { time: true } },
        series: [
          {},
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            points: { show: false },
          })),
        ],
        axes: [{}, { size: 60 }],
        legend: { show: true },
      },
      [xs, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: el.clientWidth, height: props.height ?? 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.days, props.series, props.height]);
  return (
    <figure class="chart" data-chart={props.title}>
      <figcaption>{props.title}</figcaption>
      <div
        ref={box}
        class="chart-box"
        role="img"
        aria-label={`${props.title}: chart of ${props.days.length} days`}
      />
      <table class="sr-only">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">day</th>
            {props.series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.days.map((d, i) => (
            <tr key={d}>
              <th scope="row">{d}</th>
              {props.series.map((s) => (
                <td key={s.label}>{s.values[i] ?? ""}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
