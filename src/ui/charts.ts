/**
 * Line charts on uPlot. A chart is rebuilt only when its set of series
 * changes (a run starts, finishes or is cleared); every round it gets one
 * setData, which is what keeps the page responsive with thousands of points.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Points } from './run-data';

export interface SeriesStyle {
  label: string;
  color: string;
  /** Line width in CSS pixels. */
  width?: number;
  dash?: number[];
  /**
   * Join the line across missing points (default). Runs on one chart need it
   * (aligning their x values leaves holes); a worker's rounds without work
   * (parked, not yet joined, gone) must stay gaps.
   */
  spanGaps?: boolean;
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  height: number;
  /** Fixed y range; auto when absent. */
  yRange?: [number, number];
  /** Decimals shown in the legend. */
  decimals?: number;
}

export class LineChart {
  private plot: uPlot | null = null;
  private signature = '';
  private readonly observer: ResizeObserver;

  constructor(
    private readonly host: HTMLElement,
    private readonly options: LineChartOptions,
  ) {
    this.observer = new ResizeObserver(() => {
      const width = this.width();
      if (this.plot && Math.abs(this.plot.width - width) >= 1) this.plot.setSize({ width, height: options.height });
    });
    this.observer.observe(host);
  }

  /** Shows one series per entry of `tables`, each with its own x values (aligned here). */
  update(series: readonly SeriesStyle[], tables: readonly Points[]): void {
    const data = align(tables);
    const signature = JSON.stringify([series, this.options.xLabel]);
    if (this.plot && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = signature;
    this.plot = new uPlot(this.config(series), data, this.host);
  }

  /** Changes the x axis title (e.g. wall clock vs training clock); takes effect at the next update. */
  setXLabel(label: string): void {
    this.options.xLabel = label;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth));
  }

  private config(series: readonly SeriesStyle[]): uPlot.Options {
    const decimals = this.options.decimals ?? 2;
    const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : v.toFixed(decimals));
    return {
      width: this.width(),
      height: this.options.height,
      // x is seconds or rounds, not a date.
      scales: {
        x: { time: false },
        y: this.options.yRange ? { range: this.options.yRange } : { auto: true },
      },
      axes: [
        { label: this.options.xLabel, labelSize: 20, size: 36 },
        { label: this.options.yLabel, labelSize: 20, size: 48 },
      ],
      // Labels only: values under the cursor would widen the legend past a phone's width.
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: this.options.xLabel, value: (_u, v) => (v === null || v === undefined ? '–' : v.toFixed(1)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: s.spanGaps ?? true,
          value,
          points: { size: 5 },
        })),
      ],
    };
  }
}

/** uPlot wants one shared x array; runs have their own x values. */
function align(tables: readonly Points[]): uPlot.AlignedData {
  if (tables.length === 0) return [[]];
  if (tables.length === 1) {
    const only = tables[0] as Points;
    return [only[0], only[1]];
  }
  return uPlot.join(tables.map((t) => [t[0], t[1]] as uPlot.AlignedData));
}
