/** The tokens-per-day chart (uPlot, canvas). The tables beside it are the accessible form of the same data. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatCount } from '../format.js';
import type { DailySeries } from '../usage-model.js';

/** Also in styles.css (.swatch-input, .swatch-output). */
const COLORS = { input: '#1f5fbf', output: '#b4420c' };
const HEIGHT = 260;

function options(width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true } },
    axes: [
      { stroke: '#333', grid: { stroke: '#e3e3e3' } },
      {
        stroke: '#333',
        grid: { stroke: '#e3e3e3' },
        size: 60,
        values: (_u, ticks) => ticks.map((t) => formatCount(t)),
      },
    ],
    series: [
      {},
      {
        label: 'Input tokens',
        stroke: COLORS.input,
        width: 2,
        fill: 'rgba(31, 95, 191, 0.12)',
        points: { show: true },
      },
      { label: 'Output tokens', stroke: COLORS.output, width: 2, points: { show: true } },
    ],
  };
}

/** A browser that gives no 2D canvas (disabled, or a DOM without one) gets the tables only. */
function canDrawCanvas(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

export function UsageChart(props: { series: DailySeries }) {
  const box = useRef<HTMLDivElement>(null);
  const [drawable] = useState(canDrawCanvas);
  useEffect(() => {
    const el = box.current;
    if (!el || !drawable) return;
    const data: uPlot.AlignedData = [props.series.xs, props.series.input, props.series.output];
    const plot = new uPlot(options(Math.max(200, el.clientWidth)), data, el);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.series, drawable]);
  const first = props.series.days[0];
  const last = props.series.days[props.series.days.length - 1];
  return (
    <figure class="chart" data-testid="usage-chart">
      <div
        ref={box}
        class="chart-canvas"
        role="img"
        aria-label={`Input and output tokens per day, ${first} to ${last} (UTC); the tables below give the figures.`}
      />
      {!drawable && (
        <p class="muted">This browser cannot draw the chart; the tables below have the figures.</p>
      )}
      <figcaption>
        <span class="swatch swatch-input" aria-hidden="true" /> Input tokens{' '}
        <span class="swatch swatch-output" aria-hidden="true" /> Output tokens, per UTC day
      </figcaption>
    </figure>
  );
}
