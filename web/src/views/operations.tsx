// The operations page (operators): the analytics metrics of GET /v1/metrics drawn as time-series plots with
// uPlot (bundled; small, canvas-based, made for time series): plans per minute by outcome, task duration and BC
// latency percentiles, and the worst breaker's state. It refreshes on its own while it is open.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' };
import pageCss from './operations.css' with { type: 'text' };
import { fetchOperationsMetrics, type OperationsMetrics, type OperationsSeries, type SeriesGroup } from '../operations-api.js';

/** Windows offered, with a period that keeps each plot at 60–100 points. */
export const WINDOWS = [
  { label: '15 min', seconds: 15 * 60, period: 60 },
  { label: '1 h', seconds: 60 * 60, period: 60 },
  { label: '6 h', seconds: 6 * 60 * 60, period: 300 },
  { label: '24 h', seconds: 24 * 60 * 60, period: 900 },
] as const;
const DEFAULT_REFRESH_MS = 15_000;

const CHARTS: Array<{ group: SeriesGroup; title: string; unit: string }> = [
  { group: 'plans', title: 'Plans per minute by outcome', unit: 'per minute' },
  { group: 'taskDuration', title: 'Task duration p50 / p95', unit: 'ms' },
  { group: 'bcLatency', title: 'BC latency p50 / p95', unit: 'ms' },
  { group: 'breaker', title: 'Breaker state (worst breaker)', unit: 'state' },
];

const COLOURS: Record<string, string> = {
  succeeded: '#1f8a4c', failed: '#c0392b', cancelled: '#8a94a6',
  query: '#2160c4', write: '#b26b00', analysis: '#7b3fb5', validation: '#118a8a',
  success: '#2160c4', error: '#c0392b', breaker: '#c0392b',
};
const colourOf = (series: OperationsSeries) => COLOURS[series.label.split(' ')[0]!] ?? COLOURS[series.id] ?? '#444c5c';

let cssAdopted = false;
/**
 * uPlot's stylesheet and the page's, as a constructed stylesheet: the console's CSP (default-src 'self') refuses
 * inline <style> elements, and adopting a sheet needs no change to index.html or the build's file list.
 */
function adoptCss(): void {
  if (cssAdopted) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`${uPlotCss}\n${pageCss}`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  cssAdopted = true;
}

export function Operations({ apiUrl, token, refreshMs = DEFAULT_REFRESH_MS }: { apiUrl: string; token: string; refreshMs?: number }) {
  const [windowIndex, setWindowIndex] = useState(1);
  const [metrics, setMetrics] = useState<OperationsMetrics>();
  const [failure, setFailure] = useState<string>();
  const [updatedAt, setUpdatedAt] = useState<Date>();
  useEffect(adoptCss, []);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { seconds, period } = WINDOWS[windowIndex]!;
    const load = async () => {
      const to = new Date();
      try {
        const answer = await fetchOperationsMetrics(apiUrl, token, { from: new Date(to.getTime() - seconds * 1000), to, period });
        if (stopped) return;
        setMetrics(answer);
        setFailure(undefined);
        setUpdatedAt(new Date());
      } catch (error) {
        if (!stopped) setFailure((error as Error).message);
      }
      if (!stopped) timer = setTimeout(load, refreshMs);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [apiUrl, token, windowIndex, refreshMs]);

  return (
    <section class="operations" aria-label="Operations">
      <header class="operations-bar">
        <h2>Operations</h2>
        <label>
          Window{' '}
          <select value={windowIndex} onChange={(e) => setWindowIndex(Number(e.currentTarget.value))} aria-label="window">
            {WINDOWS.map((w, i) => (
              <option value={i}>{w.label}</option>
            ))}
          </select>
        </label>
        <span class="hint" aria-label="last refresh">
          {updatedAt ? `updated ${updatedAt.toLocaleTimeString()} · every ${Math.round(refreshMs / 1000)} s` : 'loading…'}
        </span>
      </header>
      {failure && (
        <p class="error" role="alert">
          The metrics could not be read: {failure}
        </p>
      )}
      <div class="charts">
        {CHARTS.map((chart) => (
          <Chart key={chart.group} {...chart} metrics={metrics} />
        ))}
      </div>
    </section>
  );
}

function Chart({ group, title, unit, metrics }: { group: SeriesGroup; title: string; unit: string; metrics: OperationsMetrics | undefined }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = useRef<string | undefined>(undefined);
  const series = metrics?.series.filter((s) => s.group === group) ?? [];
  // Points with a value (for the reader and the browser test: a plot with none draws no line).
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);

  useEffect(() => {
    if (!host.current || !metrics) return;
    const data: uPlot.AlignedData = [metrics.timestamps, ...series.map((s) => s.values)];
    const key = series.map((s) => s.id).join(',');
    const width = Math.max(host.current.clientWidth, 320);
    // A new set of series needs a new plot; new data for the same series is set in place.
    if (plot.current && shape.current === key) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    shape.current = key;
    const breaker = group === 'breaker';
    plot.current = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true }, y: breaker ? { range: [0, 2.2] } : { range: (_u, _min, max) => [0, Math.max(max ?? 1, 1) * 1.1] } },
        axes: [{}, { label: unit, size: breaker ? 80 : 60, ...(breaker ? { splits: () => [0, 1, 2], values: (_u, ticks) => ticks.map((t) => ['closed', 'half-open', 'open'][t] ?? '') } : {}) }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: colourOf(s),
            width: 2,
            dash: s.label.endsWith('p95') ? [6, 4] : undefined,
            points: { show: true, size: 7 },
            ...(breaker ? { paths: uPlot.paths.stepped!({ align: 1 }), fill: '#c0392b22' } : {}),
          })),
        ],
      },
      data,
      host.current,
    );
  }, [metrics]);

  useEffect(() => () => plot.current?.destroy(), []);

  return (
    <figure class="chart card" data-group={group} data-points={points} data-series={series.length}>
      <figcaption>{title}</figcaption>
      <div ref={host} class="plot" />
      {metrics && points === 0 && <p class="hint">no datapoints in this window</p>}
    </figure>
  );
}
