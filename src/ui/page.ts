/**
 * The trainer page. It learns about training only from the engine's events
 * (and asks the engine for the hardest samples and the model export); it
 * changes the config only through the ConfigStore, which `window.tandem`
 * shares, so a script's setConfig shows in the controls and the URL.
 */
import { ALGOS, BACKENDS, ConfigError, DEFAULT_CONFIG, type Algo, type BackendName, type RunConfig } from '../core/config';
import { loadCheckpoint } from '../checkpoint/store';
import type { Capabilities } from '../backends/capabilities';
import type { ConfigStore } from '../api/config-store';
import type { RunArchive } from '../api/run-archive';
import type { Engine } from '../orchestrator/engine';
import type { EngineEvent, RoundEvent, RunPhase, RunResult, TandemApi, WorkerInfo } from '../protocol';
import { LineChart, type SeriesStyle } from './charts';
import { CheckpointControls } from './checkpoints';
import { ConfigForm } from './controls';
import { DatasetPicker } from './dataset-picker';
import { colour, download, el, errorAlert, errorText, pct, secs } from './dom';
import type { LocalDatasets } from './local-dataset';
import { renderMachine } from './machine';
import {
  TIME_AXIS_LABELS,
  accuracyPoints,
  lossPoints,
  modelJson,
  runCsv,
  runJson,
  runLabel,
  timeline,
  workerSeries,
  type Points,
  type RunRecord,
  type TimeAxis,
} from './run-data';
import { renderSamples } from './samples';
import { TIMELINE_ROUNDS, renderTimelines } from './timeline';
import { formatUrlConfig } from './url-config';
import { FIELDS, fieldKeyOf, formatValue } from './fields';

export interface PageDeps {
  engine: Engine;
  ready: Promise<void>;
  capabilities: Promise<Readonly<Capabilities>>;
  store: ConfigStore;
  archive: RunArchive;
  /** Query parameters that were refused at load, each replaced by its default. */
  urlErrors: readonly ConfigError[];
  /** Why the linked dataset could not be loaded and the default was taken instead, or null. */
  startupWarning: Promise<string | null>;
  /** True when CIFAR-10's files are served (public/data/cifar10/): only then is it suggested. */
  cifar10: Promise<boolean>;
  /** Files picked from disk; the engine's loader reads local specs from it. */
  local: LocalDatasets;
  /** The automation API, for what the page shares with scripts: saved and exported checkpoints. */
  api: TandemApi;
}

/** Hardest samples shown. */
const HARD_SAMPLES = 12;
const MODEL_FILE = 'tandem-model';
/** Run all's algorithms ticked at first: the comparison the page is about. */
const RUN_ALL_DEFAULT: readonly Algo[] = ['biased', 'sync'];
const ACTIVE: readonly RunPhase[] = ['starting', 'profiling', 'training', 'pausing', 'paused', 'stopping'];
/** Phases in which the run's pool can change: a worker joins at the next round, or leaves. */
const POOL_EDITABLE: readonly RunPhase[] = ['training', 'pausing', 'paused'];
/** Phases between rounds or after a run, when the run's checkpoint is whole (not mid-round). */
const SETTLED: readonly RunPhase[] = ['paused', 'done', 'failed', 'idle'];
/** Run events kept on the page (the run's history keeps them all). */
const MAX_RUN_EVENTS = 200;

export function mountPage(root: HTMLElement, deps: PageDeps): void {
  new TrainerPage(root, deps);
}

class TrainerPage {
  private readonly engine: Engine;
  private readonly store: ConfigStore;
  private readonly archive: RunArchive;
  private isReady = false;
  private phase: RunPhase = 'idle';
  private runCount = 0;
  /** The run on the live charts: running, or the last one until Reset. */
  private live: RunRecord | null = null;
  private readonly records = new WeakMap<RunResult, RunRecord>();
  /** Config of the run the page is about to start; a script's run gets its config from its result. */
  private pendingConfig: RunConfig | null = null;
  /** A Start or Run all sequence in progress. */
  private sequence: { algos: Algo[]; index: number; cancelled: boolean } | null = null;
  private axis: TimeAxis = 'wall';
  private frame = 0;

  private readonly form: ConfigForm;
  private readonly status: HTMLElement;
  private readonly log: HTMLElement;
  /** The live run's round notes: workers that left or joined, models left out, learning-rate changes. */
  private readonly runEvents: HTMLOListElement;
  private readonly runEventsBox: HTMLElement;
  private readonly addButtons: Map<BackendName, HTMLButtonElement>;
  private removeButtons: { id: number; button: HTMLButtonElement }[] = [];
  /** Workers asked to leave whose departure the engine has not announced yet: their Remove stays disabled. */
  private readonly leaving = new Set<number>();
  private readonly checkpoints: CheckpointControls;
  /** Suggested besides the embedded sets: cifar10 when served, and the last picked files' spec. */
  private readonly extraDatasets: { cifar10: boolean; picked: string | null } = { cifar10: false, picked: null };
  private readonly buttons: Record<'start' | 'pause' | 'resume' | 'stop' | 'reset' | 'runAll' | 'clear' | 'json' | 'csv' | 'model', HTMLButtonElement>;
  private readonly startNote: HTMLElement;
  private readonly readouts: Record<'round' | 'accuracy' | 'loss' | 'train' | 'wall', HTMLOutputElement>;
  private readonly charts: { accuracy: LineChart; loss: LineChart; tau: LineChart; speed: LineChart };
  private readonly summaries: { accuracy: HTMLElement; loss: HTMLElement };
  private readonly timelineHost: HTMLElement;
  private readonly samplesHost: HTMLElement;
  private readonly workerTable: HTMLTableElement;
  private readonly runsTable: HTMLTableElement;
  private readonly exportSelect: HTMLSelectElement;
  private readonly runAllBoxes: Map<Algo, HTMLInputElement>;
  private readonly machineList: HTMLElement;
  private caps: Readonly<Capabilities> | null = null;

  constructor(root: HTMLElement, deps: PageDeps) {
    this.engine = deps.engine;
    this.store = deps.store;
    this.archive = deps.archive;
    const button = (text: string, attrs: Record<string, string | boolean> = {}) => el('button', { type: 'button', ...attrs }, [text]);
    this.buttons = {
      start: button('Start', { class: 'primary' }),
      pause: button('Pause'),
      resume: button('Resume'),
      stop: button('Stop'),
      reset: button('Reset'),
      runAll: button('Run all'),
      clear: button('Clear runs'),
      json: button('Export JSON'),
      csv: button('Export CSV'),
      model: button('Download model'),
    };
    for (const b of Object.values(this.buttons)) b.disabled = true;

    // --- Sidebar: the machine and the configuration.
    this.machineList = el('dl', { id: 'machine' }, [el('dt', {}, ['Detecting…'])]);
    const machine = el('section', { class: 'panel', 'aria-labelledby': 'machine-h' }, [
      el('h2', { id: 'machine-h' }, ['This machine']),
      this.machineList,
    ]);
    this.form = new ConfigForm(this.store, () => this.refresh());
    const picker = new DatasetPicker(deps.local, () => this.store.get().dataset, (picked) => {
      this.extraDatasets.picked = picked.spec;
      this.suggestDatasets();
      this.store.set({ dataset: picked.spec });
    });
    this.form.insertAfterField('dataset', picker.element);
    void deps.cifar10.then((present) => {
      this.extraDatasets.cifar10 = present;
      this.suggestDatasets();
    });
    const defaults = button('Restore defaults');
    defaults.addEventListener('click', () => this.store.reset());
    const copied = el('span', { class: 'note', 'aria-live': 'polite' });
    const copy = button('Copy link');
    copy.addEventListener('click', () => {
      // Promise.resolve().then: without a secure context navigator.clipboard is undefined and would throw here.
      Promise.resolve()
        .then(() => navigator.clipboard.writeText(location.href))
        .then(
        () => (copied.textContent = 'Link copied.'),
        (e: unknown) => (copied.textContent = `Could not copy: ${errorText(e)}`),
      );
    });
    const config = el('section', { class: 'panel', 'aria-labelledby': 'config-h' }, [
      el('h2', { id: 'config-h' }, ['Configuration']),
      el('p', { class: 'note' }, ['Every knob of the engine; the URL keeps them all, so a link reproduces the setup.']),
      this.form.element,
      el('div', { class: 'buttons' }, [defaults, copy, copied]),
    ]);
    const sidebar = el('div', { class: 'sidebar' }, [machine, config]);

    // --- Live: run controls, readouts, charts.
    this.status = el('p', { id: 'status', role: 'status' }, ['Loading the dataset…']);
    this.log = el('ul', { class: 'log', 'aria-label': 'Engine messages' });
    this.runEvents = el('ol', { class: 'events', 'aria-labelledby': 'run-events-h', 'aria-live': 'polite' });
    this.runEventsBox = el('div', { class: 'run-events', hidden: true }, [el('h3', { id: 'run-events-h' }, ['Run events']), this.runEvents]);
    this.addButtons = new Map(BACKENDS.map((backend) => [backend, button(`Add ${backend} worker`, { disabled: true })]));
    for (const [backend, b] of this.addButtons) b.addEventListener('click', () => this.addWorker(backend));
    const poolBar = el('div', { class: 'buttons poolbar', role: 'group', 'aria-label': 'Change the pool during the run' }, [
      ...this.addButtons.values(),
      el('span', { class: 'note' }, ['A worker joins at the next round; each worker’s Remove is in the workers table.']),
    ]);
    this.startNote = el('p', { class: 'note error', id: 'start-note', hidden: true });
    this.buttons.start.setAttribute('aria-describedby', 'start-note');
    const output = (id: string, label: string) => {
      const o = el('output', { id: `readout-${id}` }, ['–']);
      return { o, node: el('div', { class: 'readout' }, [el('label', { for: `readout-${id}` }, [label]), o]) };
    };
    const round = output('round', 'Round');
    const accuracy = output('accuracy', 'Test accuracy');
    const loss = output('loss', 'Train loss');
    const train = output('train', 'Training time');
    const wall = output('wall', 'Wall time');
    this.readouts = { round: round.o, accuracy: accuracy.o, loss: loss.o, train: train.o, wall: wall.o };

    const chartFigure = (id: string, title: string, extra: string, wide = false) => {
      const host = el('div', { class: 'chart' });
      const summary = el('p', { class: 'chart-summary', id: `${id}-summary` });
      const figure = el('figure', { class: `figure${wide ? ' wide' : ''}`, id, 'aria-describedby': `${id}-summary` }, [
        el('figcaption', {}, [el('span', { class: 'fig-title' }, [title]), extra ? el('span', { class: 'fig-note' }, [extra]) : '']),
        host,
        summary,
      ]);
      return { host, summary, figure };
    };
    const accFig = chartFigure('chart-accuracy', 'Test accuracy', 'every run on this page, each its own line');
    const lossFig = chartFigure('chart-loss', 'Train loss', 'mean over the round’s batches');
    const tauFig = chartFigure('chart-tau', 'tau_i per worker', 'local steps given each round');
    const speedFig = chartFigure('chart-speed', 'Steps per second per worker', 'steps / busy time');
    this.summaries = { accuracy: accFig.summary, loss: lossFig.summary };
    this.charts = {
      accuracy: new LineChart(accFig.host, { xLabel: TIME_AXIS_LABELS.wall, yLabel: 'accuracy, %', height: 200, yRange: [0, 100], decimals: 1 }),
      loss: new LineChart(lossFig.host, { xLabel: TIME_AXIS_LABELS.wall, yLabel: 'loss', height: 200, decimals: 3 }),
      tau: new LineChart(tauFig.host, { xLabel: 'round', yLabel: 'tau_i', height: 180, decimals: 0 }),
      speed: new LineChart(speedFig.host, { xLabel: 'round', yLabel: 'steps/s', height: 180, decimals: 1 }),
    };
    tauFig.summary.remove();
    speedFig.summary.remove();

    this.timelineHost = el('div', { class: 'timeline' });
    const timelineFigure = el('figure', { class: 'figure wide', id: 'timeline' }, [
      el('figcaption', {}, [
        el('span', { class: 'fig-title' }, ['Who waits? Busy and idle time per worker']),
        el('span', { class: 'fig-note' }, [
          el('span', { class: 'key busy' }), ' computing ', el('span', { class: 'key idle' }), ' waiting for the others. ',
          'Each block is one round, drawn to scale. Under sync every worker waits for the slowest at each step; ' +
            'under biased each gets the steps (tau_i) that fill the round. The last finished run of another algorithm is drawn below for comparison.',
        ]),
      ]),
      this.timelineHost,
    ]);

    this.samplesHost = el('div', { class: 'samples' });
    const samplesFigure = el('figure', { class: 'figure wide', id: 'hardest' }, [
      el('figcaption', {}, [
        el('span', { class: 'fig-title' }, ['Hardest samples now']),
        el('span', { class: 'fig-note' }, ['highest loss in the loss table, with label and loss; biased sampling sends these to the chosen workers']),
      ]),
      this.samplesHost,
    ]);
    renderSamples(this.samplesHost, []);
    renderTimelines(this.timelineHost, []);

    this.workerTable = el('table', { id: 'workers', 'aria-label': 'Workers' });
    // Open: its Remove buttons are how a worker is taken out of a run.
    const workersDetails = el('details', { class: 'workers', open: true }, [el('summary', {}, ['Workers: backends, adapters, profiled step times']), el('div', { class: 'scroll' }, [this.workerTable])]);

    const live = el('section', { class: 'panel live', 'aria-labelledby': 'live-h' }, [
      el('h2', { id: 'live-h' }, ['Training']),
      this.status,
      el('div', { class: 'buttons runbar', role: 'group', 'aria-label': 'Run' }, [
        this.buttons.start,
        this.buttons.pause,
        this.buttons.resume,
        this.buttons.stop,
        this.buttons.reset,
      ]),
      poolBar,
      this.startNote,
      this.log,
      this.runEventsBox,
      el('div', { class: 'readouts' }, [round.node, accuracy.node, loss.node, train.node, wall.node]),
      // The timeline first: it is what shows the idea (nobody waits) at a glance.
      el('div', { class: 'figures' }, [timelineFigure, accFig.figure, lossFig.figure, tauFig.figure, speedFig.figure, samplesFigure]),
      workersDetails,
    ]);

    // --- Compare and export.
    const axisSelect = el('select', { id: 'time-axis' }, (Object.keys(TIME_AXIS_LABELS) as TimeAxis[]).map((a) => el('option', { value: a }, [TIME_AXIS_LABELS[a]])));
    axisSelect.addEventListener('change', () => {
      this.axis = axisSelect.value === 'train' ? 'train' : 'wall';
      this.charts.accuracy.setXLabel(TIME_AXIS_LABELS[this.axis]);
      this.charts.loss.setXLabel(TIME_AXIS_LABELS[this.axis]);
      this.schedule();
    });
    this.runAllBoxes = new Map(
      ALGOS.map((algo) => [algo, el('input', {
          type: 'checkbox',
          id: `run-all-${algo}`,
          // The visible label is just the algorithm; the name says what the box is for.
          'aria-label': `Run all: ${algo}`,
          checked: RUN_ALL_DEFAULT.includes(algo),
        })]),
    );
    for (const box of this.runAllBoxes.values()) box.addEventListener('change', () => this.refresh());
    this.runsTable = el('table', { id: 'runs', 'aria-label': 'Finished runs' });
    this.exportSelect = el('select', { id: 'export-run' });
    this.checkpoints = new CheckpointControls({ api: deps.api, resume: () => void this.resumeSaved() });
    const compare = el('section', { class: 'panel compare', 'aria-labelledby': 'compare-h' }, [
      el('h2', { id: 'compare-h' }, ['Compare and export']),
      el('div', { class: 'row' }, [
        el('div', { class: 'field field-select' }, [el('label', { for: 'time-axis' }, ['Time axis']), axisSelect]),
      ]),
      el('fieldset', { class: 'group run-all' }, [
        el('legend', {}, ['Run all: these algorithms back to back on the current configuration']),
        el(
          'div',
          { class: 'checks' },
          ALGOS.map((algo) =>
            el('div', { class: 'field field-checkbox' }, [
              this.runAllBoxes.get(algo) as HTMLInputElement,
              el('label', { for: `run-all-${algo}` }, [algo]),
            ]),
          ),
        ),
        el('div', { class: 'buttons' }, [this.buttons.runAll, this.buttons.clear]),
      ]),
      el('div', { class: 'scroll' }, [this.runsTable]),
      el('div', { class: 'row export' }, [
        el('div', { class: 'field field-select' }, [el('label', { for: 'export-run' }, ['Run to export']), this.exportSelect]),
        el('div', { class: 'buttons' }, [this.buttons.json, this.buttons.csv, this.buttons.model]),
      ]),
      el('p', { class: 'note' }, [
        'JSON: the run result with its history and every round event. CSV: one row per round, per-worker tau, steps, steps/s, busy and idle. ',
        `Model: ${MODEL_FILE}.json and ${MODEL_FILE}.weights.bin in the tfjs layers format (tf.loadLayersModel) — the model of the run on the charts, after it is paused or finished.`,
      ]),
      this.checkpoints.controls,
    ]);

    const alerts = el('div', { class: 'alerts' }, [this.checkpoints.banner]);
    if (deps.urlErrors.length > 0) alerts.append(urlErrorAlert(deps.urlErrors));
    void deps.startupWarning.then((warning) => {
      if (warning) alerts.append(errorAlert(warning));
    });
    root.removeAttribute('aria-live');
    root.replaceChildren(alerts, sidebar, el('div', { class: 'main' }, [live, compare]));

    this.wire();
    void deps.capabilities.then((caps) => {
      this.caps = caps;
      renderMachine(this.machineList, caps, this.live?.workers);
    });
    deps.ready.then(
      () => {
        this.isReady = true;
        if (this.phase === 'idle') this.status.textContent = 'Ready. Choose a configuration and press Start.';
        this.refresh();
      },
      (e: unknown) => {
        this.status.textContent = errorText(e);
        this.status.classList.add('error');
        this.refresh();
      },
    );
    this.renderRuns();
    this.schedule();
    this.refresh();
    void this.checkpoints.refreshSaved();
  }

  private suggestDatasets(): void {
    const embedded = FIELDS.find((f) => f.key === 'dataset')?.suggestions ?? [];
    const { cifar10, picked } = this.extraDatasets;
    this.form.setSuggestions('dataset', [...embedded, ...(cifar10 ? ['cifar10'] : []), ...(picked ? [picked] : [])]);
  }

  private wire(): void {
    const b = this.buttons;
    b.start.addEventListener('click', () => void this.runSequence([this.store.get().algo]));
    b.runAll.addEventListener('click', () => void this.runSequence(ALGOS.filter((a) => this.runAllBoxes.get(a)?.checked)));
    b.pause.addEventListener('click', () => this.guard(() => this.engine.pause()));
    b.resume.addEventListener('click', () => this.guard(() => this.engine.resume()));
    b.stop.addEventListener('click', () => {
      if (this.sequence) this.sequence.cancelled = true;
      this.engine.stop();
    });
    b.reset.addEventListener('click', () => {
      this.live = null;
      this.log.replaceChildren();
      this.showRunEvents([]);
      this.status.textContent = 'Cleared. Choose a configuration and press Start.';
      this.schedule();
      this.refresh();
    });
    b.clear.addEventListener('click', () => this.archive.clear());
    b.json.addEventListener('click', () => this.exportRun('json'));
    b.csv.addEventListener('click', () => this.exportRun('csv'));
    b.model.addEventListener('click', () => void this.downloadModel());

    this.engine.on((event) => this.onEngine(event));
    this.archive.subscribe(() => {
      this.renderRuns();
      this.schedule();
      this.refresh();
    });
    this.store.subscribe((config) => {
      history.replaceState(history.state, '', `${location.pathname}?${formatUrlConfig(config)}${location.hash}`);
    });
  }

  private onEngine(event: EngineEvent): void {
    switch (event.type) {
      case 'phase': {
        // The engine may announce 'starting' more than once per run (preparing data, then workers).
        const wasActive = this.running();
        this.phase = event.phase;
        if (event.phase === 'starting' && !wasActive) this.beginRun();
        if (event.phase === 'failed' && this.live && !this.live.result) this.live.error = event.message;
        this.status.textContent = this.sequencePrefix() + event.message;
        this.status.classList.toggle('error', event.phase === 'failed');
        break;
      }
      case 'workers':
        if (this.live) this.live.workers = event.workers;
        // A worker gone from the list has left; the pool may give its id to a newcomer, whose Remove must work.
        for (const id of this.leaving) if (!event.workers.some((w) => w.id === id)) this.leaving.delete(id);
        this.removeButtons = renderWorkers(this.workerTable, event.workers, (id) => this.removeWorker(id));
        if (this.caps) renderMachine(this.machineList, this.caps, event.workers);
        break;
      case 'round':
        this.live?.events.push(event.event);
        this.addRunEvents(event.event);
        this.schedule();
        break;
      case 'log':
        this.addLog(event.level, event.message);
        break;
      case 'done': {
        const r = event.result;
        if (this.live && !this.live.result) this.recordOf(r);
        this.status.textContent =
          `${this.sequencePrefix()}Run #${this.live?.n ?? '?'} finished (${stoppedByText(r.stoppedBy)}) after ${r.rounds} rounds, ` +
          `${secs(r.trainMs)} of training; final accuracy on the whole test set ${pct(r.finalAccuracy)}` +
          (r.timeToTargetMs === null ? '.' : `; target reached at ${secs(r.timeToTargetMs)}.`) +
          (r.message ? ` ${r.message}` : '');
        this.renderRuns();
        this.schedule();
        break;
      }
      default: {
        const never: never = event;
        void never;
      }
    }
    this.refresh();
  }

  /** The last few engine messages, newest first. */
  private addLog(level: string, message: string): void {
    this.log.prepend(el('li', { class: level }, [message]));
    while (this.log.children.length > 5) this.log.lastElementChild?.remove();
  }

  /** The run's round notes, newest first; the run's history keeps them all. */
  private addRunEvents(event: RoundEvent): void {
    for (const note of event.notes) this.runEvents.prepend(el('li', {}, [`Round ${event.round}: ${note}`]));
    while (this.runEvents.children.length > MAX_RUN_EVENTS) this.runEvents.lastElementChild?.remove();
    this.runEventsBox.hidden = this.runEvents.children.length === 0;
  }

  private showRunEvents(events: readonly RoundEvent[]): void {
    this.runEvents.replaceChildren();
    for (const e of events) this.addRunEvents(e);
    this.runEventsBox.hidden = this.runEvents.children.length === 0;
  }

  private beginRun(): void {
    // A resumed run starts with its checkpoint's history (the engine has it already): charts, readouts and
    // run events continue from the saved round instead of starting over.
    const history = this.engine.events();
    this.live = {
      n: ++this.runCount,
      config: this.pendingConfig,
      events: history,
      workers: [],
      result: null,
      error: null,
    };
    this.pendingConfig = null;
    this.log.replaceChildren();
    this.showRunEvents(history);
    this.workerTable.replaceChildren();
    this.removeButtons = [];
    this.leaving.clear();
    // The new run's checkpoints will replace the saved run; the banner would offer what is about to go.
    this.checkpoints.hideBanner();
    this.schedule();
  }

  private addWorker(backend: BackendName): void {
    this.addLog('info', `Adding a ${backend} worker: it is started and profiled, then trains from the next round.`);
    this.engine.addWorker(backend).then(
      () => this.refresh(),
      (e: unknown) => this.addLog('error', `The ${backend} worker could not join: ${errorText(e)}`),
    );
  }

  private removeWorker(id: number): void {
    try {
      this.engine.removeWorker(id);
      this.leaving.add(id);
      this.addLog('info', `Removing worker ${id}: its current round is discarded and the others go on.`);
    } catch (e) {
      this.addLog('error', errorText(e));
    }
    this.refresh();
  }

  /** Continues the run saved in this browser: its config goes into the controls, its history onto the charts. */
  private async resumeSaved(): Promise<void> {
    if (this.running() || this.sequence) return;
    this.sequence = { algos: [], index: 0, cancelled: false };
    this.refresh();
    let failed = false;
    try {
      const saved = await loadCheckpoint();
      if (!saved) throw new Error('No run is saved in this browser any more.');
      this.store.set(saved.config);
      this.pendingConfig = saved.config;
      await this.engine.run(saved.config, saved);
    } catch (e) {
      failed = true;
      this.status.textContent = `The saved run could not go on: ${errorText(e)}`;
      this.status.classList.add('error');
    } finally {
      this.pendingConfig = null;
      this.sequence = null;
      this.refresh();
    }
    // A run that fails before it trains overwrites nothing: offer the saved run again.
    if (failed) await this.checkpoints.refreshSaved();
  }

  private async runSequence(algos: Algo[]): Promise<void> {
    if (algos.length === 0 || this.running() || this.sequence || !this.form.isValid()) return;
    const base = this.store.get();
    this.sequence = { algos, index: 0, cancelled: false };
    this.refresh();
    try {
      for (const [i, algo] of algos.entries()) {
        if (this.sequence.cancelled) break;
        this.sequence.index = i;
        const config = { ...base, algo };
        this.pendingConfig = config;
        await this.engine.run(config);
      }
    } catch (e) {
      this.status.textContent = `${this.sequencePrefix()}Run failed: ${errorText(e)}`;
      this.status.classList.add('error');
    } finally {
      this.pendingConfig = null;
      this.sequence = null;
      this.refresh();
    }
  }

  private sequencePrefix(): string {
    const s = this.sequence;
    if (!s || s.algos.length < 2) return '';
    return `Run all ${s.index + 1} of ${s.algos.length} (${s.algos[s.index] ?? ''}): `;
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (e) {
      this.status.textContent = errorText(e);
    }
  }

  private running(): boolean {
    return ACTIVE.includes(this.phase);
  }

  /** Enables exactly the buttons that make sense now. Cheap; called after every event and input. */
  private refresh(): void {
    const b = this.buttons;
    const idle = !this.running() && this.sequence === null;
    const valid = this.form.isValid();
    b.start.disabled = !this.isReady || !idle || !valid;
    b.runAll.disabled = b.start.disabled || ![...this.runAllBoxes.values()].some((x) => x.checked);
    b.pause.disabled = this.phase !== 'training';
    b.resume.disabled = this.phase !== 'paused' && this.phase !== 'pausing';
    // The engine ignores stop while pausing; it takes it once paused.
    b.stop.disabled = !['starting', 'profiling', 'training', 'paused'].includes(this.phase);
    b.reset.disabled = !idle || this.live === null;
    b.clear.disabled = this.archive.list().length === 0;
    b.json.disabled = b.csv.disabled = this.exportSelect.value === '';
    b.model.disabled = !(this.live && this.live.events.length > 0 && (this.phase === 'paused' || this.phase === 'done'));
    const poolEditable = POOL_EDITABLE.includes(this.phase);
    for (const add of this.addButtons.values()) add.disabled = !poolEditable;
    for (const { id, button } of this.removeButtons) button.disabled = !poolEditable || this.leaving.has(id);
    // Before the page is ready the dataset is still loading: a resume now would race it.
    this.checkpoints.setState({ active: !idle || !this.isReady, running: !idle, exportable: this.live !== null && SETTLED.includes(this.phase) });
    const error = this.form.firstError();
    this.startNote.hidden = valid;
    this.startNote.textContent = valid ? '' : `Start is disabled until the configuration is valid: ${error ?? ''}`;
  }

  /** Charts, timeline and samples redraw at most once per frame, however many events arrived. */
  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const finished = this.archive.list().map((r) => this.recordOf(r));
    const runs = this.live && !this.live.result ? [...finished, this.live] : finished;
    const styles: SeriesStyle[] = runs.map((r) => ({
      label: runLabel(r) + (r.result ? '' : ' (running)'),
      color: colour(r.n - 1),
      width: r === this.live ? 2.5 : 1.5,
    }));
    this.charts.accuracy.update(styles, runs.map((r) => accuracyPoints(r.events, this.axis)));
    this.charts.loss.update(styles, runs.map((r) => lossPoints(r.events, this.axis)));

    const live = this.live;
    const events = live?.events ?? [];
    const evaluated = events.filter((e) => e.accuracy !== null);
    const lastEval = evaluated[evaluated.length - 1];
    const last = events[events.length - 1];
    this.summaries.accuracy.textContent = live
      ? `Run #${live.n}: ${evaluated.length} evaluation${evaluated.length === 1 ? '' : 's'}` +
        (lastEval ? `, latest ${pct(lastEval.accuracy)} after ${secs(lastEval.wallMs)}.` : '.') +
        (finished.length > 0 ? ` ${finished.length} finished run${finished.length === 1 ? '' : 's'} shown.` : '')
      : `${finished.length} finished run${finished.length === 1 ? '' : 's'} shown.`;
    this.summaries.loss.textContent = last ? `Run #${live?.n ?? ''}: loss ${last.loss.toFixed(3)} in round ${last.round}.` : '';

    this.readouts.round.value = last ? String(last.round) : '–';
    this.readouts.accuracy.value = lastEval ? pct(lastEval.accuracy) : '–';
    this.readouts.loss.value = last ? last.loss.toFixed(3) : '–';
    this.readouts.train.value = last ? secs(last.trainMs) : '–';
    this.readouts.wall.value = last ? secs(last.wallMs) : '–';

    const ws = workerSeries(events);
    const workerStyles = ws.ids.map((id, i) => ({ label: ws.labels[i] ?? `w${id}`, color: colour(id) }));
    const byRound = (values: (number | null)[][]): Points[] => values.map((ys) => [ws.rounds, ys]);
    this.charts.tau.update(workerStyles, byRound(ws.tau));
    this.charts.speed.update(workerStyles, byRound(ws.stepsPerSecond));

    const liveAlgo = (live?.config ?? live?.result?.config)?.algo;
    const other = live ? finished.filter((r) => r !== live && (r.config ?? r.result?.config)?.algo !== liveAlgo).at(-1) : undefined;
    renderTimelines(
      this.timelineHost,
      [live, other].flatMap((r) =>
        r ? [{ title: runLabel(r) + (r.result ? '' : ' (running)'), timeline: timeline(r.events, TIMELINE_ROUNDS) }] : [],
      ),
    );
    renderSamples(this.samplesHost, live ? this.engine.hardestSamples(HARD_SAMPLES) : []);
  }

  private recordOf(result: RunResult): RunRecord {
    let record = this.records.get(result);
    const live = this.live;
    if (!record && live && !live.result && this.phase === 'done') {
      // The archive hears of a finished run before the page's own 'done' handler: it is the live run.
      live.result = result;
      live.config ??= result.config;
      this.records.set(result, live);
      record = live;
    }
    if (!record) {
      // A result the page saw no events for: it still gets a label and its config.
      record = { n: ++this.runCount, config: result.config, events: [], workers: [], result, error: null };
      this.records.set(result, record);
    }
    return record;
  }

  private renderRuns(): void {
    const runs = this.archive.list().map((r) => ({ result: r, record: this.recordOf(r) }));
    const head = el(
      'tr',
      {},
      ['Run', 'Algorithm', 'Workers', 'tau_F', 'lambda', 'Batch', 'LR', 'Rounds', 'Training', 'Final accuracy', 'Time to target', 'Ended'].map((h) =>
        el('th', { scope: 'col' }, [h]),
      ),
    );
    const rows = runs.map(({ result: r, record }) =>
      el('tr', {}, [
        el('th', { scope: 'row' }, [el('span', { class: 'swatch', style: `background:${colour(record.n - 1)}` }), `#${record.n}`]),
        el('td', {}, [r.algo]),
        el('td', {}, [r.workers.map((w) => w.backend).join(', ')]),
        el('td', {}, [String(r.config.tauFast)]),
        el('td', {}, [r.algo === 'biased' ? String(r.config.lambda) : '–']),
        el('td', {}, [String(r.config.batchSize)]),
        el('td', {}, [String(r.config.learningRate)]),
        el('td', {}, [String(r.rounds)]),
        el('td', {}, [secs(r.trainMs)]),
        el('td', {}, [pct(r.finalAccuracy)]),
        el('td', {}, [r.timeToTargetMs === null ? '–' : secs(r.timeToTargetMs)]),
        el('td', {}, [stoppedByText(r.stoppedBy)]),
      ]),
    );
    this.runsTable.replaceChildren(
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

  private exportRun(kind: 'json' | 'csv'): void {
    const result = this.archive.list()[Number(this.exportSelect.value)];
    if (!result) return;
    const record = this.recordOf(result);
    const name = `tandem-run-${record.n}-${result.algo}`;
    if (kind === 'json') download(`${name}.json`, runJson(record), 'application/json');
    else download(`${name}.csv`, runCsv(record), 'text/csv');
  }

  private async downloadModel(): Promise<void> {
    this.buttons.model.disabled = true;
    try {
      const artifacts = await this.engine.exportModel();
      download(`${MODEL_FILE}.json`, modelJson(artifacts, `${MODEL_FILE}.weights.bin`), 'application/json');
      download(`${MODEL_FILE}.weights.bin`, artifacts.weightData, 'application/octet-stream');
    } catch (e) {
      this.status.textContent = `Could not export the model: ${errorText(e)}`;
    } finally {
      this.refresh();
    }
  }
}

function stoppedByText(by: RunResult['stoppedBy']): string {
  switch (by) {
    case 'target':
      return 'target accuracy reached';
    case 'time':
      return 'time budget used';
    case 'rounds':
      return 'round limit reached';
    case 'epochs':
      return 'epoch limit reached';
    case 'user':
      return 'stopped';
    case 'diverged':
      return 'diverged';
    default: {
      const never: never = by;
      return String(never);
    }
  }
}

function urlErrorAlert(errors: readonly ConfigError[]): HTMLElement {
  const box = el('div', { class: 'alert', role: 'alert' }, [
    el('p', {}, [`${errors.length === 1 ? 'A URL parameter was' : `${errors.length} URL parameters were`} refused; the rest of the link was kept:`]),
    el(
      'ul',
      {},
      errors.map((e) => {
        const key = fieldKeyOf(e.key);
        const fallback = key in DEFAULT_CONFIG ? ` Using the default, ${formatValue(key as keyof RunConfig, DEFAULT_CONFIG[key as keyof RunConfig], 'none')}.` : ' Ignored.';
        return el('li', {}, [el('code', {}, [e.key]), `: ${e.message}${fallback}`]);
      }),
    ),
  ]);
  const dismiss = el('button', { type: 'button' }, ['Dismiss']);
  dismiss.addEventListener('click', () => box.remove());
  box.append(dismiss);
  return box;
}

/** Draws the workers table; returns its Remove buttons, which the page enables while the pool can change. */
function renderWorkers(
  table: HTMLTableElement,
  workers: readonly WorkerInfo[],
  onRemove: (id: number) => void,
): { id: number; button: HTMLButtonElement }[] {
  const head = el('tr', {}, ['Worker', 'Backend', 'Profiled step', 'Role', 'Details', 'Action'].map((h) => el('th', { scope: 'col' }, [h])));
  const buttons: { id: number; button: HTMLButtonElement }[] = [];
  const rows = workers.map((w) => {
    const remove = el('button', { type: 'button', class: 'small' }, [`Remove worker ${w.id}`]);
    remove.addEventListener('click', () => onRemove(w.id));
    buttons.push({ id: w.id, button: remove });
    return el('tr', {}, [
      el('th', { scope: 'row' }, [el('span', { class: 'swatch', style: `background:${colour(w.id)}` }), `w${w.id}`]),
      el('td', {}, [w.backend + (w.backend !== w.requested ? ` (asked for ${w.requested})` : '')]),
      el('td', {}, [w.stepMs === null ? '–' : `${w.stepMs.toFixed(1)} ms`]),
      el('td', {}, [w.role ?? '–']),
      el('td', {}, [
        [
          w.report.adapter
            ? `${w.report.adapter.vendor} ${w.report.adapter.architecture}${w.report.adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}`
            : w.report.wasm
              ? `SIMD ${w.report.wasm.simd ? 'on' : 'off'}, ${w.report.wasm.threads} thread`
              : `tfjs ${w.report.tfBackend}`,
          ...w.report.failures,
        ].join('; '),
      ]),
      el('td', {}, [remove]),
    ]);
  });
  table.replaceChildren(el('caption', {}, ['Roles come from measured step times, not from the backend’s name.']), head, ...rows);
  return buttons;
}
