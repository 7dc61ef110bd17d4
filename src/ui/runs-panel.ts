/**
 * The "Compare and export" panel: the charts' time axis, Run all's
 * algorithms, the finished runs table, and the run, model and checkpoint
 * exports. The buttons are RunControls'; the page says when they may be
 * pressed and what a click does, this panel places them and writes the files.
 */
import { ALGOS, type Algo } from '../core/config';
import { percent, seconds } from '../core/format';
import type { RunResult } from '../protocol';
import { colour, download, el } from './dom';
import type { RunControls } from './run-controls';
import { MODEL_FILE } from './model-download';
import {
  TIME_AXIS_LABELS,
  runCsv,
  runJson,
  runLabel,
  stoppedByText,
  workersText,
  type RunRecord,
  type TimeAxis,
} from './run-data';

/** Run all's algorithms ticked at first: the comparison the page is about. */
const RUN_ALL_DEFAULT: readonly Algo[] = ['biased', 'sync'];

/** A finished run with the page's record of it (number, events). */
export interface FinishedRun {
  readonly result: RunResult;
  readonly record: RunRecord;
}

export interface RunsPanelDeps {
  readonly buttons: Pick<RunControls['buttons'], 'runAll' | 'clear' | 'json' | 'csv' | 'model'>;
  /** CheckpointControls' export and import, at the end of the panel. */
  readonly checkpoints: HTMLElement;
  readonly onAxis: (axis: TimeAxis) => void;
  /** Run all's choice changed: Run all may become enabled or disabled. */
  readonly onChoice: () => void;
}

export class RunsPanel {
  readonly element: HTMLElement;
  private readonly runAllBoxes: ReadonlyMap<Algo, HTMLInputElement>;
  private readonly table: HTMLTableElement;
  private readonly exportSelect: HTMLSelectElement;
  /** What the table and the export list show, in the archive's order. */
  private shown: readonly FinishedRun[] = [];

  constructor(deps: RunsPanelDeps) {
    const axisSelect = el('select', { id: 'time-axis' }, (Object.keys(TIME_AXIS_LABELS) as TimeAxis[]).map((a) => el('option', { value: a }, [TIME_AXIS_LABELS[a]])));
    axisSelect.addEventListener('change', () => deps.onAxis(axisSelect.value === 'train' ? 'train' : 'wall'));
    this.runAllBoxes = new Map(
      ALGOS.map((algo) => [
        algo,
        el('input', {
          type: 'checkbox',
          id: `run-all-${algo}`,
          // The visible label is just the algorithm; the name says what the box is for.
          'aria-label': `Run all: ${algo}`,
          checked: RUN_ALL_DEFAULT.includes(algo),
        }),
      ]),
    );
    for (const box of this.runAllBoxes.values()) box.addEventListener('change', deps.onChoice);
    this.table = el('table', { id: 'runs', 'aria-label': 'Finished runs' });
    this.exportSelect = el('select', { id: 'export-run' });
    const b = deps.buttons;
    this.element = el('section', { class: 'panel compare', 'aria-labelledby': 'compare-h' }, [
      el('h2', { id: 'compare-h' }, ['Compare and export']),
      el('div', { class: 'row' }, [el('div', { class: 'field field-select' }, [el('label', { for: 'time-axis' }, ['Time axis']), axisSelect])]),
      el('fieldset', { class: 'group run-all' }, [
        el('legend', {}, ['Run all: these algorithms back to back on the current configuration']),
        el(
          'div',
          { class: 'checks' },
          [...this.runAllBoxes].map(([algo, box]) =>
            el('div', { class: 'field field-checkbox' }, [box, el('label', { for: `run-all-${algo}` }, [algo])]),
          ),
        ),
        el('div', { class: 'buttons' }, [b.runAll, b.clear]),
      ]),
      el('div', { class: 'scroll' }, [this.table]),
      el('div', { class: 'row export' }, [
        el('div', { class: 'field field-select' }, [el('label', { for: 'export-run' }, ['Run to export']), this.exportSelect]),
        el('div', { class: 'buttons' }, [b.json, b.csv, b.model]),
      ]),
      el('p', { class: 'note' }, [
        'JSON: the run result with its history and every round event. CSV: one row per round, per-worker tau, steps, steps/s, busy, idle and why it was parked. ',
        `Model: ${MODEL_FILE}.json and ${MODEL_FILE}.weights.bin in the tfjs layers format (tf.loadLayersModel) — the final model of the run to export ` +
          '(before any run has finished, the paused run’s); model.json names the run, and says the model takes float32 images scaled by 1/255 and outputs logits.',
      ]),
      deps.checkpoints,
    ]);
  }

  /** The algorithms ticked for Run all, in ALGOS order. */
  chosenAlgos(): Algo[] {
    return ALGOS.filter((a) => this.runAllBoxes.get(a)?.checked);
  }

  hasSelection(): boolean {
    return this.exportSelect.value !== '';
  }

  /** The finished run chosen under "Run to export", or null when none has finished. */
  chosenRun(): FinishedRun | null {
    return this.exportSelect.value === '' ? null : (this.shown[Number(this.exportSelect.value)] ?? null);
  }

  /** Draws the finished runs table and the export list. */
  show(runs: readonly FinishedRun[]): void {
    this.shown = runs;
    const head = el(
      'tr',
      {},
      [
        'Run', 'Algorithm', 'Workers', 'tau_F', 'lambda', 'Batch', 'LR', 'Rounds', 'Training', 'Wall', 'Evaluation',
        'Final accuracy', 'Time to target (training)', 'Time to target (wall)', 'Ended',
      ].map((h) =>
        el('th', { scope: 'col' }, [h]),
      ),
    );
    const rows = runs.map(({ result: r, record }) =>
      el('tr', {}, [
        el('th', { scope: 'row' }, [el('span', { class: 'swatch', style: `background:${colour(record.n - 1)}` }), `#${record.n}`]),
        el('td', {}, [r.algo]),
        el('td', { title: parkedReasons(r) }, [workersText(r.workers)]),
        el('td', {}, [String(r.config.tauFast)]),
        el('td', {}, [r.algo === 'biased' ? String(r.config.lambda) : '–']),
        el('td', {}, [String(r.config.batchSize)]),
        el('td', {}, [String(r.config.learningRate)]),
        el('td', {}, [String(r.rounds)]),
        el('td', {}, [seconds(r.trainMs)]),
        el('td', {}, [seconds(r.wallMs)]),
        el('td', {}, [seconds(r.evalMs)]),
        el('td', {}, [percent(r.finalAccuracy)]),
        el('td', {}, [targetText(r)]),
        el('td', {}, [seconds(r.wallTimeToTargetMs)]),
        el('td', {}, [stoppedByText(r.stoppedBy) + (r.cutShort ? ` (${r.epochsDone.toFixed(2)} of ${r.config.epochs ?? 0} epochs)` : '')]),
      ]),
    );
    this.table.replaceChildren(
      el('caption', {}, [runs.length === 0 ? 'No finished runs yet.' : 'Finished runs (kept on the charts until Clear runs)']),
      ...(runs.length > 0 ? [head, ...rows] : []),
    );
    const previous = this.exportSelect.value;
    const previousCount = this.exportSelect.options.length;
    this.exportSelect.replaceChildren(...runs.map(({ record }, i) => el('option', { value: String(i) }, [runLabel(record)])));
    // A new run selects itself; otherwise the person's choice stays.
    if (runs.length === 0) this.exportSelect.value = '';
    else if (runs.length === previousCount && previous !== '') this.exportSelect.value = previous;
    else this.exportSelect.value = String(runs.length - 1);
  }

  /** Downloads the chosen run as `tandem-run-<n>-<algo>.json` or `.csv`. */
  exportRun(kind: 'json' | 'csv'): void {
    const run = this.chosenRun();
    if (!run) return;
    const name = `tandem-run-${run.record.n}-${run.result.algo}`;
    if (kind === 'json') download(`${name}.json`, runJson(run.record), 'application/json');
    else download(`${name}.csv`, runCsv(run.record), 'text/csv');
  }
}

/** The parking verdicts of a run's parked workers, for the Workers cell's tooltip (the cell itself says who). */
function parkedReasons(r: RunResult): string | undefined {
  const reasons = r.workers.flatMap((w) => (w.parked !== null && w.left === null ? [w.parked] : []));
  return reasons.length > 0 ? reasons.join('\n') : undefined;
}

/**
 * Time to target on the training clock; where evaluations were sparse, the
 * interval the crossing lies in (it happened after the evaluation before).
 */
function targetText(r: RunResult): string {
  if (r.timeToTargetMs === null) return '–';
  const after = r.targetAfterMs ?? 0;
  const wide = r.timeToTargetMs > 0 && (r.timeToTargetMs - after) / r.timeToTargetMs > 0.1;
  return wide ? `${seconds(r.timeToTargetMs)} (after ${seconds(after)})` : seconds(r.timeToTargetMs);
}
