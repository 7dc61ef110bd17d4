/**
 * The Sweep panel: up to MAX_SWEEP_KEYS config keys with their values (a
 * grid) or ranges (random search), seeds and algorithms; Run sweep, End
 * sweep after this trial, the progress line, the results table (sortable,
 * the best trial marked) and the CSV and JSON exports. The trials run in
 * the SweepSession, which `window.tandem` shares; the page says when the
 * engine is free and keeps the plan in the URL. Reading the fields, the
 * progress line and the table's rows are pure modules (sweep-form,
 * sweep-progress, sweep-rows); this file is their DOM.
 */
import type { SweepSession, SweepSnapshot } from '../api/sweep-session';
import { ALGOS, type Algo, type RunConfig } from '../core/config';
import { messageOf } from '../core/errors';
import type { RunResult } from '../protocol';
import { MAX_RANDOM_TRIALS, MAX_SWEEP_KEYS, NOT_SWEPT, SweepPlanError, type SweepKey, type SweepPlan } from '../sweep/plan';
import { sweepCsv, sweptKeys } from '../sweep/records';
import { colour, download, el } from './dom';
import { FIELDS, accessibleName } from './fields';
import { MAX_SEED } from '../sweep/plan-read';
import { FIELD, defaultFields, fieldsOf, planSummary, readFields, type AxisKind, type SweepFields } from './sweep-form';
import { progressText } from './sweep-progress';
import { PLAN_ORDER, SORT_LABELS, nextSort, sweepRows, type SortColumn, type SweepSort } from './sweep-rows';

const FILE = 'tandem-sweep';

/** The fields whose keys are offered, in the configuration form's order. */
const SWEEP_FIELDS = FIELDS.filter((f) => !Object.hasOwn(NOT_SWEPT, f.key));

const PLACEHOLDERS: Readonly<Record<AxisKind, string>> = { grid: 'e.g. 8,16,32', random: 'e.g. 0.01:0.2:log' };

export interface SweepPanelDeps {
  readonly session: SweepSession;
  /** The page's config: what every trial starts from, and what values are read over. */
  readonly config: () => RunConfig;
  /** The fields a link gave, or null. */
  readonly initial: SweepFields | null;
  /** The panel's plan changed: a checked plan, or null once no key is chosen. The URL follows. */
  readonly onPlan: (plan: SweepPlan | null) => void;
  /** The page's number of a trial's run (its line on the charts), or null when the page did not see it. */
  readonly runOf: (result: RunResult) => number | null;
}

interface AxisRow {
  key: HTMLSelectElement;
  kind: HTMLSelectElement;
  values: HTMLInputElement;
}

export class SweepPanel {
  readonly element: HTMLElement;
  private readonly rows: AxisRow[];
  private readonly trials: HTMLInputElement;
  private readonly drawSeed: HTMLInputElement;
  private readonly seeds: HTMLInputElement;
  private readonly algoBoxes: ReadonlyMap<Algo, HTMLInputElement>;
  private readonly form: HTMLFieldSetElement;
  private readonly error: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly tableNote: HTMLElement;
  private readonly buttons: { run: HTMLButtonElement; end: HTMLButtonElement; clear: HTMLButtonElement; csv: HTMLButtonElement; json: HTMLButtonElement };
  /** The control each error field names, to mark it invalid. */
  private readonly controls = new Map<string, HTMLElement>();
  private plan: SweepPlan | null = null;
  private engineFree = false;
  private sort: SweepSort = PLAN_ORDER;
  /** The plan of the last sweep shown, so a script's sweep fills the fields once. */
  private shownPlan: SweepPlan | null = null;
  private snapshot: SweepSnapshot;

  constructor(private readonly deps: SweepPanelDeps) {
    this.snapshot = deps.session.snapshot();
    const base = deps.config();
    this.rows = Array.from({ length: MAX_SWEEP_KEYS }, (_, i) => this.axisRow(i + 1));
    const number = (id: string, label: string, min: number, max: number) => {
      const input = el('input', { id, type: 'number', inputmode: 'numeric', min: String(min), max: String(max), step: '1', 'aria-describedby': 'sweep-error' });
      return { input, node: el('div', { class: 'field' }, [el('label', { for: id }, [label]), input]) };
    };
    const trials = number('sweep-trials', FIELD.trials, 1, MAX_RANDOM_TRIALS);
    const drawSeed = number('sweep-draw-seed', FIELD.drawSeed, 0, MAX_SEED);
    this.trials = trials.input;
    this.drawSeed = drawSeed.input;
    this.seeds = el('input', { id: 'sweep-seeds', type: 'text', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'sweep-error' });
    this.algoBoxes = new Map(ALGOS.map((algo) => [algo, el('input', { type: 'checkbox', id: `sweep-algo-${algo}`, 'aria-label': `Sweep algorithm: ${algo}` })]));
    this.controls.set(FIELD.trials, this.trials).set(FIELD.drawSeed, this.drawSeed).set(FIELD.seeds, this.seeds);
    const algos = el('fieldset', { class: 'group sweep-algos', 'aria-describedby': 'sweep-error' }, [
      el('legend', {}, [FIELD.algos]),
      el(
        'div',
        { class: 'checks' },
        [...this.algoBoxes].map(([algo, box]) => el('div', { class: 'field field-checkbox' }, [box, el('label', { for: `sweep-algo-${algo}` }, [algo])])),
      ),
    ]);
    this.controls.set(FIELD.algos, algos);
    this.error = el('p', { class: 'field-error', id: 'sweep-error', hidden: true });
    this.summary = el('p', { class: 'note', id: 'sweep-summary' });
    this.form = el('fieldset', { class: 'sweep-form' }, [
      el('legend', { class: 'visually-hidden' }, ['Sweep plan']),
      el('div', { class: 'sweep-axes', role: 'group', 'aria-label': `Keys to vary, up to ${MAX_SWEEP_KEYS}` }, this.rows.map((r, i) => this.rowNode(r, i + 1))),
      el('div', { class: 'sweep-numbers' }, [
        trials.node,
        drawSeed.node,
        el('div', { class: 'field' }, [el('label', { for: 'sweep-seeds' }, [FIELD.seeds]), this.seeds]),
      ]),
      algos,
    ]);
    const button = (text: string, attrs: Record<string, string | boolean> = {}) => el('button', { type: 'button', disabled: true, ...attrs }, [text]);
    this.buttons = {
      run: button('Run sweep', { class: 'primary' }),
      end: button('End sweep after this trial'),
      clear: button('Clear sweep results'),
      csv: button('Export sweep CSV'),
      json: button('Export sweep JSON'),
    };
    this.buttons.run.setAttribute('aria-describedby', 'sweep-error sweep-summary');
    this.progress = el('p', { id: 'sweep-progress', role: 'status' });
    this.table = el('table', { id: 'sweep-results', 'aria-label': 'Sweep results' });
    this.tableNote = el('p', { class: 'note', hidden: true }, [
      'Best: the first to reach the target on the training clock (then the wall clock); with none reaching it, the most accurate. ',
      'A column’s header sorts by it, best first; again, the other way.',
    ]);
    this.element = el('section', { class: 'panel sweep', 'aria-labelledby': 'sweep-h' }, [
      el('h2', { id: 'sweep-h' }, ['Sweep']),
      el('p', { class: 'note' }, [
        'Trials run back to back on the current configuration, each with its own settings, algorithm and seed, on the current pool. ',
        'Values: a grid of listed values, 8,16,32 (separate values that hold commas with ;), or a range drawn from at random Sweep trials times, LOW:HIGH or LOW:HIGH:log. ',
        'Stop stops the trial running and ends the sweep; End sweep after this trial lets it finish.',
      ]),
      this.form,
      this.error,
      this.summary,
      el('div', { class: 'buttons' }, [this.buttons.run, this.buttons.end, this.buttons.clear, this.buttons.csv, this.buttons.json]),
      this.progress,
      el('div', { class: 'scroll' }, [this.table]),
      this.tableNote,
    ]);

    this.setFields(deps.initial ?? defaultFields(base));
    // Selects, boxes and text fields all fire `input`; `change` as well would read every edit twice.
    this.form.addEventListener('input', () => this.changed());
    this.buttons.run.addEventListener('click', () => void this.run());
    this.buttons.end.addEventListener('click', () => deps.session.stopAfterTrial());
    this.buttons.clear.addEventListener('click', () => this.guard(() => deps.session.clear()));
    this.buttons.csv.addEventListener('click', () => this.export('csv'));
    this.buttons.json.addEventListener('click', () => this.export('json'));
    deps.session.subscribe((snapshot) => this.show(snapshot));
    this.show(this.snapshot);
  }

  /** The plan the fields hold now, or null when they hold none that could run. */
  currentPlan(): SweepPlan | null {
    return this.plan;
  }

  /** Whether the engine is free for a sweep (the dataset is loaded, no run or sequence holds it, the configuration is valid). */
  setEngineFree(free: boolean): void {
    this.engineFree = free;
    this.updateButtons();
  }

  /** The page's config changed: the values are read over it again (a swept heads must still divide dModel). */
  configChanged(): void {
    this.seeds.placeholder = `${this.deps.config().seed} (the configuration’s seed)`;
    this.check();
  }

  private axisRow(row: number): AxisRow {
    const key = el('select', { id: `sweep-key-${row}`, 'aria-describedby': 'sweep-error' }, [
      el('option', { value: '' }, ['— none —']),
      ...SWEEP_FIELDS.map((f) => el('option', { value: f.key }, [accessibleName(f)])),
    ]);
    const kind = el('select', { id: `sweep-kind-${row}`, 'aria-describedby': 'sweep-error' }, [
      el('option', { value: 'grid' }, ['values (grid)']),
      el('option', { value: 'random' }, ['range (random)']),
    ]);
    const values = el('input', { id: `sweep-values-${row}`, type: 'text', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'sweep-error' });
    this.controls.set(FIELD.key(row), key).set(FIELD.values(row), values);
    return { key, kind, values };
  }

  private rowNode(r: AxisRow, row: number): HTMLElement {
    return el('div', { class: 'sweep-axis' }, [
      el('div', { class: 'field' }, [el('label', { for: r.key.id }, [FIELD.key(row)]), r.key]),
      el('div', { class: 'field' }, [el('label', { for: r.kind.id }, [`Sweep key ${row} as`]), r.kind]),
      el('div', { class: 'field' }, [el('label', { for: r.values.id }, [FIELD.values(row)]), r.values]),
    ]);
  }

  private fields(): SweepFields {
    return {
      axes: this.rows.map((r) => ({
        key: r.key.value === '' ? null : (r.key.value as SweepKey),
        kind: r.kind.value === 'random' ? 'random' : 'grid',
        values: r.values.value,
      })),
      trials: this.trials.value,
      drawSeed: this.drawSeed.value,
      seeds: this.seeds.value,
      algos: ALGOS.filter((a) => this.algoBoxes.get(a)?.checked),
    };
  }

  private setFields(fields: SweepFields): void {
    this.rows.forEach((r, i) => {
      const axis = fields.axes[i];
      r.key.value = axis?.key ?? '';
      r.kind.value = axis?.kind ?? 'grid';
      r.values.value = axis?.values ?? '';
    });
    this.trials.value = fields.trials;
    this.drawSeed.value = fields.drawSeed;
    this.seeds.value = fields.seeds;
    for (const [algo, box] of this.algoBoxes) box.checked = fields.algos.includes(algo);
    this.configChanged();
  }

  private changed(): void {
    const none = this.check();
    // The URL keeps the last plan that could run; with no key chosen there is no sweep to keep.
    if (this.plan !== null) this.deps.onPlan(this.plan);
    else if (none) this.deps.onPlan(null);
  }

  /** Reads the fields into a plan, or says which control is wrong; true when no key is chosen at all. */
  private check(): boolean {
    const fields = this.fields();
    const none = fields.axes.every((a) => a.key === null && a.values.trim() === '');
    const random = fields.axes.some((a) => a.key !== null && a.kind === 'random');
    this.trials.disabled = !random;
    this.drawSeed.disabled = !random;
    this.rows.forEach((r) => (r.values.placeholder = PLACEHOLDERS[r.kind.value === 'random' ? 'random' : 'grid']));
    for (const control of this.controls.values()) control.removeAttribute('aria-invalid');
    try {
      this.plan = readFields(fields, this.deps.config());
      this.showError(null);
      this.summary.textContent = planSummary(this.plan);
    } catch (e) {
      this.plan = null;
      this.summary.textContent = '';
      if (none) {
        this.showError(null);
        this.summary.textContent = `Choose a key to vary (up to ${MAX_SWEEP_KEYS}).`;
      } else {
        this.showError(messageOf(e));
        if (e instanceof SweepPlanError) this.controls.get(e.field)?.setAttribute('aria-invalid', 'true');
      }
    }
    this.updateButtons();
    return none;
  }

  private showError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? '';
  }

  private async run(): Promise<void> {
    if (!this.plan) return;
    try {
      await this.deps.session.start(this.plan, this.deps.config());
    } catch (e) {
      this.showError(`The sweep did not start: ${messageOf(e)}`);
      if (e instanceof SweepPlanError) this.controls.get(e.field)?.setAttribute('aria-invalid', 'true');
    }
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (e) {
      this.showError(messageOf(e));
    }
  }

  private show(snapshot: SweepSnapshot): void {
    this.snapshot = snapshot;
    const plan = snapshot.file?.plan ?? null;
    // A sweep a script started shows its plan here (and so in the URL).
    if (plan && plan !== this.shownPlan) {
      this.shownPlan = plan;
      this.setFields(fieldsOf(plan));
      this.deps.onPlan(plan);
    }
    this.form.disabled = snapshot.phase === 'running' || snapshot.phase === 'stopping';
    this.progress.textContent = progressText(snapshot);
    this.renderTable();
    this.updateButtons();
  }

  private updateButtons(): void {
    const s = this.snapshot;
    const running = s.phase === 'running' || s.phase === 'stopping';
    const some = (s.file?.trials.length ?? 0) > 0;
    this.buttons.run.disabled = !(this.engineFree && !running && this.plan !== null);
    this.buttons.end.disabled = s.phase !== 'running';
    this.buttons.clear.disabled = s.phase !== 'done';
    this.buttons.csv.disabled = !some;
    this.buttons.json.disabled = !some;
  }

  private renderTable(): void {
    const file = this.snapshot.file;
    const records = file?.trials ?? [];
    if (!file || records.length === 0) {
      this.table.replaceChildren(el('caption', {}, [file ? 'No trial has ended yet.' : 'No sweep results.']));
      this.tableNote.hidden = true;
      return;
    }
    const keys = sweptKeys(file.plan);
    const sortable = (column: SortColumn): HTMLElement => {
      const sorted = this.sort.column === column;
      const arrow = sorted ? (this.sort.direction === 'ascending' ? ' ▲' : ' ▼') : '';
      // The arrow is for the eye; aria-sort says it to a screen reader, and the button's name stays the column's.
      const b = el('button', { type: 'button', class: 'sort' }, [SORT_LABELS[column], el('span', { 'aria-hidden': 'true' }, [arrow])]);
      b.addEventListener('click', () => {
        this.sort = nextSort(this.sort, column);
        this.renderTable();
        this.table.querySelector<HTMLButtonElement>(`th[data-column="${column}"] button`)?.focus();
      });
      return el('th', { scope: 'col', 'data-column': column, ...(sorted ? { 'aria-sort': this.sort.direction } : {}) }, [b]);
    };
    const plain = (text: string) => el('th', { scope: 'col' }, [text]);
    const head = el('tr', {}, [
      sortable('trial'),
      ...keys.map((k) => plain(k)),
      plain('Algorithm'),
      plain('Seed'),
      sortable('trainTarget'),
      sortable('wallTarget'),
      sortable('accuracy'),
      sortable('wall'),
      plain('Curve'),
      plain('Ended'),
    ]);
    const rows = sweepRows(keys, records, this.sort, file.targetAccuracy).map((row) => {
      const n = row.record.result ? this.deps.runOf(row.record.result) : null;
      return el('tr', row.best ? { class: 'best' } : {}, [
        el('th', { scope: 'row' }, [row.trial, ...(row.best ? [' ', el('span', { class: 'best-mark' }, [el('span', { 'aria-hidden': 'true' }, ['★ ']), 'best'])] : [])]),
        ...row.settings.map((text) => el('td', {}, [text])),
        el('td', {}, [row.algo]),
        el('td', {}, [row.seed]),
        el('td', {}, [row.trainTarget]),
        el('td', {}, [row.wallTarget]),
        el('td', {}, [row.accuracy]),
        el('td', {}, [row.wall]),
        el('td', {}, n === null ? ['–'] : [el('span', { class: 'swatch', style: `background:${colour(n - 1)}` }), `run #${n}`]),
        el('td', row.record.summary ? {} : { class: 'error' }, [row.status]),
      ]);
    });
    this.table.replaceChildren(el('caption', {}, [`Sweep results: ${records.length} trial${records.length === 1 ? '' : 's'}`]), head, ...rows);
    this.tableNote.hidden = false;
  }

  private export(kind: 'csv' | 'json'): void {
    const file = this.deps.session.results();
    if (!file || file.trials.length === 0) return;
    if (kind === 'csv') download(`${FILE}.csv`, sweepCsv(sweptKeys(file.plan), file.trials), 'text/csv');
    else download(`${FILE}.json`, JSON.stringify(file, null, 2), 'application/json');
  }
}
