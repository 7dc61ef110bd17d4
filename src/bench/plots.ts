/**
 * PNG plots for the paper suite, drawn by uPlot (the page's chart library)
 * in a blank page of the benchmark's own Chromium and captured as a
 * screenshot: no native canvas package needed in Node. With several seeds,
 * each variant is one line, from its median seed (run-summary medianRun), and
 * its busy shares are medians over the seeds: one line per variant stays
 * readable where every seed's would not.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from '@playwright/test';
import type { RunResult } from '../protocol';
import { variantGroups, type VariantResult } from './paper-report';
import { medianRun } from './run-summary';
import { median } from './stats';

const require = createRequire(import.meta.url);

/** A blank page with uPlot loaded and a #chart element. */
async function chartPage(browser: Browser, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height } });
  await page.setContent('<!doctype html><html><body style="margin:0;background:#fff;font-family:sans-serif"><div id="chart"></div></body></html>');
  await page.addStyleTag({ content: await readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') });
  await page.addScriptTag({ content: await readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8') });
  // tsx compiles with esbuild's keepNames, whose __name helper the page lacks.
  await page.evaluate('globalThis.__name = (f) => f');
  return page;
}

const COLOURS = ['#1565c0', '#ef6c00', '#2e7d32', '#c62828', '#6a1b9a', '#00838f', '#5d4037', '#ad1457'];

/** Accuracy (evaluated rounds) against training seconds, one line per variant. */
export async function accuracyPlot(browser: Browser, title: string, variants: readonly VariantResult[], file: string): Promise<void> {
  const series = accuracySeries(variants);
  const page = await chartPage(browser, 480);
  try {
    await page.evaluate(
      ({ title, series, colours }) => {
        // uPlot wants one shared x array: merge every series' x values, gaps elsewhere.
        const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
        const data = [xs, ...series.map((s) => xs.map((x) => s.points.find((p) => p[0] === x)?.[1] ?? null))];
        const U = (window as unknown as { uPlot: new (opts: object, data: unknown, el: HTMLElement) => unknown }).uPlot;
        new U(
          {
            title,
            width: 880,
            height: 440,
            legend: { live: false },
            scales: { x: { time: false } },
            axes: [{ label: 'training time (s)' }, { label: 'test accuracy (%)' }],
            series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colours[i % colours.length], width: 2, spanGaps: true, points: { show: true, size: 4 } }))],
          },
          data,
          document.getElementById('chart') as HTMLElement,
        );
      },
      { title, series, colours: COLOURS },
    );
    await page.locator('#chart').screenshot({ path: file });
  } finally {
    await page.close();
  }
}

/** Busy and idle share of each worker in each variant (median over seeds), as horizontal stacked bars. */
export async function busyPlot(browser: Browser, title: string, variants: readonly VariantResult[], file: string): Promise<void> {
  const rows = busyRows(variants);
  const page = await chartPage(browser, 120 + rows.length * 26);
  try {
    await page.evaluate(
      ({ title, rows }) => {
        type UPlotStatic = (new (opts: object, data: unknown, el: HTMLElement) => unknown) & {
          paths: { bars: (opts: object) => unknown };
        };
        const U = (window as unknown as { uPlot: UPlotStatic }).uPlot;
        const xs = rows.map((_, i) => i);
        const bars = U.paths.bars({ size: [0.7, 40], align: 0 });
        new U(
          {
            title,
            width: 880,
            height: 80 + rows.length * 26,
            legend: { live: false },
            scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, y: { range: [0, 100] } },
            axes: [
              { values: (_: unknown, ticks: number[]) => ticks.map((t) => rows[t]?.label ?? ''), size: 60, rotate: 0, gap: 4, space: 10 },
              { label: 'share of round time (%)' },
            ],
            series: [
              {},
              { label: 'busy', fill: '#1565c0', stroke: '#1565c0', paths: bars, points: { show: false } },
              { label: 'idle', fill: '#ef9a9a', stroke: '#ef9a9a', paths: bars, points: { show: false } },
            ],
            bands: [{ series: [2, 1] }],
          },
          // Stacked: idle is drawn from busy up to 100.
          [xs, rows.map((r) => r.busy), rows.map(() => 100)],
          document.getElementById('chart') as HTMLElement,
        );
      },
      { title, rows },
    );
    await page.locator('#chart').screenshot({ path: file });
  } finally {
    await page.close();
  }
}

export interface AccuracySeries {
  label: string;
  /** [training seconds, accuracy %] at each evaluated round. */
  points: [number, number][];
}

/** One series per variant: its median seed's evaluated rounds, labelled with the seed when there were several. */
export function accuracySeries(variants: readonly VariantResult[]): AccuracySeries[] {
  return variantGroups(variants).flatMap(({ variant, runs }) => {
    const finished = runs.filter((v): v is VariantResult & { result: RunResult } => v.result !== null);
    const pick = medianRun(finished.map((v) => ({ ...v.result, seed: v.seed })));
    if (!pick) return [];
    return [
      {
        label: runs.length > 1 ? `${variant.label} (seed ${pick.seed}, the median of ${finished.length})` : variant.label,
        points: pick.history.filter((h) => h.accuracy !== null).map((h): [number, number] => [h.trainMs / 1000, (h.accuracy ?? 0) * 100]),
      },
    ];
  });
}

/** One bar per worker of each variant: its busy share in percent, the median over the variant's seeds. */
export function busyRows(variants: readonly VariantResult[]): { label: string; busy: number }[] {
  return variantGroups(variants).flatMap(({ variant, runs }) => {
    const workers = runs.flatMap((v) => v.result?.workers ?? []);
    const ids = [...new Set(workers.map((w) => w.id))].sort((a, b) => a - b);
    return ids.map((id) => {
      const mine = workers.filter((w) => w.id === id);
      const shares = mine.map((w) => (w.busyMs + w.idleMs > 0 ? (100 * w.busyMs) / (w.busyMs + w.idleMs) : 0));
      return { label: `${variant.label} · ${id} ${mine[0]?.backend ?? ''}`, busy: median(shares) };
    });
  });
}
