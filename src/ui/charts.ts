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
   * Join the line across missing values (default), which aligned series have
   * wherever another series has an x value and this one has none; a worker's
   * rounds without work (parked, not yet joined, gone) must stay gaps.
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
  /**
   * Each series keeps its own x values (uPlot's faceted mode) instead of
   * sharing one x array. Runs on one time axis need it: aligning them costs
   * every series a slot for every run's every x value, work that grows with
   * the square of the runs kept on the page.
   */
  faceted?: boolean;
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

  /** Shows one series per entry of `tables`, each with its own x values (aligned here, unless faceted). */
  update(series: readonly SeriesStyle[], tables: readonly Points[]): void {
    // uPlot's faceted mode needs a series to take the x scale from; an empty chart is drawn aligned.
    const faceted = (this.options.faceted ?? false) && series.length > 0;
    const data = faceted ? facets(tables) : align(tables);
    const signature = JSON.stringify([series, this.options.xLabel]);
    if (this.plot && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = signature;
    this.plot = new uPlot(this.config(series, faceted), data, this.host);
  }

  /** Changes the x axis title (e.g. wall clock vs training clock); takes effect at the next update. */
  setXLabel(label: string): void {
    this.options.xLabel = label;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth));
  }

  private config(series: readonly SeriesStyle[], faceted: boolean): uPlot.Options {
    const decimals = this.options.decimals ?? 2;
    const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : v.toFixed(decimals));
    const { yRange } = this.options;
    // Faceted: each series names its scales, and its line is drawn through its own points.
    const own: Partial<uPlot.Series> = faceted
      ? { facets: [{ scale: 'x', auto: true }, { scale: 'y', auto: yRange === undefined }], paths: linear() }
      : {};
    return {
      ...(faceted ? { mode: 2 as const } : {}),
      width: this.width(),
      height: this.options.height,
      // x is seconds or rounds, not a date.
      scales: {
        x: faceted ? { time: false, auto: true, range: fromZero } : { time: false },
        y: yRange ? { range: yRange } : faceted ? { auto: true, range: padded } : { auto: true },
      },
      axes: [
        { label: this.options.xLabel, labelSize: 20, size: 36 },
        { label: this.options.yLabel, labelSize: 20, size: 48 },
      ],
      // Labels only: values under the cursor would widen the legend past a phone's width.
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        // Faceted, the first series is a placeholder: every other carries its own x values.
        faceted ? {} : { label: this.options.xLabel, value: (_u, v) => (v === null || v === undefined ? '–' : v.toFixed(1)) },
        ...series.map((s) => ({
          ...own,
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

/**
 * Faceted scales get ranges that are never zero wide or infinite. uPlot's
 * own faceted x range around a lone point (a run's first evaluation) is zero
 * wide, and its axis' tick loop then never ended: the page hung until the
 * tick array overflowed (RangeError: Invalid array length).
 */
function fromZero(_u: uPlot, _min: number, max: number): uPlot.Range.MinMax {
  return [0, Number.isFinite(max) && max > 0 ? max : 1];
}

function padded(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = Math.max(Math.abs(min) * 0.1, 1e-3);
    return [min - pad, max + pad];
  }
  return uPlot.rangeNum(min, max, 0.1, true);
}

/** uPlot's line path builder; present in every build, optional only in its types. */
function linear(): uPlot.Series.PathBuilder {
  const build = uPlot.paths.linear;
  if (!build) throw new Error('This uPlot build has no linear paths.');
  return build();
}

/**
 * Faceted data: a placeholder, then each series' own [xs, ys]. uPlot's types
 * describe only aligned data, so the shape is cast where it is built.
 */
function facets(tables: readonly Points[]): uPlot.AlignedData {
  const data: [null, ...Points[]] = [null, ...tables];
  return data as unknown as uPlot.AlignedData;
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
