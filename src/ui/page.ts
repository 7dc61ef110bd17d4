/**
 * The trainer page: builds its parts and wires them to the engine. It learns
 * about training only from the engine's events (and asks the engine for the
 * hardest samples, and, through ModelDownload, for each run's checkpoint
 * when it ends); it changes the config only through
 * the ConfigStore, which `window.tandem` shares, so a script's setConfig
 * shows in the controls and the URL. What the run buttons do is RunStarter's;
 * a sweep's trials are the SweepSession's (shared with `window.tandem`),
 * each run followed through the engine's events like any other.
 */
import type { ConfigStore } from '../api/config-store';
import type { RunArchive } from '../api/run-archive';
import type { EngineClaims } from '../api/engine-claims';
import type { SweepSession } from '../api/sweep-session';
import { checkResumeSaved } from '../api/automation';
import type { Capabilities } from '../backends/capabilities';
import type { SaveStore } from '../checkpoint/store';
import { isTextDataset, type Algo, type BackendName, type ConfigError, type RunConfig } from '../core/config';
import { formatUrlConfig } from '../core/config-url';
import { messageOf } from '../core/errors';
import type { Engine } from '../orchestrator/engine';
import type { EngineEvent, RunPhase, TandemApi } from '../protocol';
import { CheckpointControls } from './checkpoints';
import { FramePacer } from './frame-pacer';
import { PageLayout } from './layout';
import type { LocalDatasets } from './local-dataset';
import { LiveView } from './live-view';
import { restoredEvents } from './loss-text';
import { RunBook } from './run-book';
import { RunControls, controlState, isActive } from './run-controls';
import { finishedText, type TimeAxis } from './run-data';
import { ModelDownload } from './model-download';
import { RunStarter } from './run-starter';
import { RunsPanel } from './runs-panel';
import { Sidebar } from './sidebar';
import type { LiveFrame } from './live-view';
import type { SweepFields } from './sweep-form';
import { SweepPanel } from './sweep-panel';
import { sweepQuery } from './sweep-url';
import type { SweepPlan } from '../sweep/plan';
import { WorkersTable } from './workers-table';
import { WritingPanel } from './writing-panel';

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
  /** The runs saved in this browser (the same store the API and the engine's checkpoints use). */
  saves: SaveStore;
  /** The page's sweep, which `window.tandem` shares. */
  sweeps: SweepSession;
  /** The engine's sequences: the page registers its Start, Run all and resume here, beside the sweep. */
  claims: EngineClaims;
  /** The sweep a link gave (its accepted parameters), for the Sweep panel; null without one. */
  sweepFields: SweepFields | null;
}

/** Hardest samples shown. */
const HARD_SAMPLES = 12;

/** While a run trains, the least time between two redraws of the charts, timeline and samples. */
const LIVE_REDRAW_MS = 1000;

export function mountPage(root: HTMLElement, deps: PageDeps): void {
  new TrainerPage(root, deps);
}

class TrainerPage {
  private readonly engine: Engine;
  private readonly store: ConfigStore;
  private readonly archive: RunArchive;
  private isReady = false;
  private phase: RunPhase = 'idle';
  private readonly book = new RunBook();
  private readonly starter: RunStarter;
  private readonly model: ModelDownload;
  private axis: TimeAxis = 'wall';
  private readonly pacer = new FramePacer(() => this.draw(), LIVE_REDRAW_MS);

  private readonly controls = new RunControls();
  private readonly view = new LiveView();
  private readonly workers = new WorkersTable((id) => this.removeWorker(id));
  private readonly writing: WritingPanel;
  private readonly checkpoints: CheckpointControls;
  private readonly runs: RunsPanel;
  private readonly sidebar: Sidebar;
  private readonly sweeps: SweepSession;
  private readonly claims: EngineClaims;
  private readonly sweepPanel: SweepPanel;
  /** The plan the URL holds beside the config (the panel's last one that could run). */
  private sweepPlan: SweepPlan | null = null;

  constructor(root: HTMLElement, deps: PageDeps) {
    this.engine = deps.engine;
    this.store = deps.store;
    this.archive = deps.archive;
    this.sweeps = deps.sweeps;
    this.claims = deps.claims;
    this.checkpoints = new CheckpointControls({
      api: deps.api,
      loadNewest: () => deps.saves.load(),
      resume: (key) => void this.starter.resumeSaved(key),
    });
    this.starter = new RunStarter({
      engine: deps.engine,
      store: deps.store,
      loadSaved: (key) => deps.saves.load(key),
      checkSaved: (saved) => checkResumeSaved(deps.engine, saved),
      // Between a sweep's trials the engine is idle but not free.
      engineBusy: () => isActive(this.phase) || deps.claims.held,
      say: (text, error) => this.view.say(text, error),
      changed: () => this.refresh(),
      resumeFailed: () => this.checkpoints.refreshSaved(),
    });
    deps.claims.add(() => this.starter.active, 'the page runs a sequence (Start, Run all or a resume)', 'stop it or let it finish first.');
    this.runs = new RunsPanel({
      buttons: this.controls.buttons,
      checkpoints: this.checkpoints.controls,
      onAxis: (axis) => {
        this.axis = axis;
        this.view.setAxis(axis);
        this.schedule();
      },
      onChoice: () => this.refresh(),
    });
    this.model = new ModelDownload({
      engine: deps.engine,
      chosenRun: () => this.runs.chosenRun(),
      liveRun: () => this.book.live?.n ?? null,
      say: (text) => this.view.say(text),
      warn: (text) => this.view.addLog('warn', text),
      changed: () => this.refresh(),
    });
    this.writing = new WritingPanel({ generate: (request) => deps.api.generate(request) });
    this.sweepPanel = new SweepPanel({
      session: deps.sweeps,
      config: () => this.store.get(),
      initial: deps.sweepFields,
      onPlan: (plan) => {
        this.sweepPlan = plan;
        this.writeUrl(this.store.get());
      },
      runOf: (result) => this.book.numberOf(result),
    });
    this.sweepPlan = this.sweepPanel.currentPlan();
    this.sidebar = new Sidebar({ store: deps.store, local: deps.local, cifar10: deps.cifar10, onValidity: () => this.refresh() });
    const v = this.view;
    const layout = new PageLayout(root, {
      banner: this.checkpoints.banner,
      sidebar: this.sidebar.element,
      live: {
        status: v.status,
        runBar: this.controls.runBar,
        poolBar: this.controls.poolBar,
        startNote: this.controls.startNote,
        log: v.log,
        runEvents: v.runEventsBox,
        readouts: v.readouts,
        writing: this.writing.element,
        figures: v.figures,
        workers: this.workers.element,
      },
      compare: this.runs.element,
      sweep: this.sweepPanel.element,
    });
    layout.showUrlErrors(deps.urlErrors, deps.store.get());
    void deps.startupWarning.then((warning) => {
      if (warning) layout.showAlert(warning);
    });

    this.wire();
    void deps.capabilities.then((caps) => this.sidebar.showCapabilities(caps, this.book.live?.workers));
    deps.ready.then(
      () => {
        this.isReady = true;
        if (this.phase === 'idle') this.view.say('Ready. Choose a configuration and press Start.');
        this.refresh();
      },
      (e: unknown) => {
        this.view.say(messageOf(e), true);
        this.refresh();
      },
    );
    this.renderRuns();
    this.schedule();
    this.refresh();
    void this.checkpoints.refreshSaved();
  }

  private wire(): void {
    const b = this.controls.buttons;
    b.start.addEventListener('click', () => this.runAlgos([this.store.get().algo]));
    b.runAll.addEventListener('click', () => this.runAlgos(this.runs.chosenAlgos()));
    b.pause.addEventListener('click', () => this.guard(() => this.engine.pause()));
    b.resume.addEventListener('click', () => this.guard(() => this.engine.resume()));
    b.stop.addEventListener('click', () => {
      // Stop ends the trial running and, with it, the sweep.
      this.sweeps.stopAfterTrial();
      this.starter.stop();
    });
    b.reset.addEventListener('click', () => {
      this.book.clearLive();
      this.writing.clear();
      this.view.clearLog();
      this.view.showRunEvents([]);
      this.view.say('Cleared. Choose a configuration and press Start.');
      this.schedule();
      this.refresh();
    });
    b.clear.addEventListener('click', () => this.archive.clear());
    b.json.addEventListener('click', () => this.runs.exportRun('json'));
    b.csv.addEventListener('click', () => this.runs.exportRun('csv'));
    b.model.addEventListener('click', () => void this.model.download());
    this.controls.onAddWorker((backend) => this.addWorker(backend));

    this.engine.on((event) => this.onEngine(event));
    this.archive.subscribe(() => {
      this.renderRuns();
      this.schedule();
      this.refresh();
    });
    this.store.subscribe((config) => {
      this.writeUrl(config);
      this.sweepPanel.configChanged();
    });
    this.sweeps.subscribe(() => this.refresh());
    // Another tab of this origin may have saved or discarded runs meanwhile.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !isActive(this.phase)) void this.checkpoints.refreshSaved();
    });
  }

  private onEngine(event: EngineEvent): void {
    switch (event.type) {
      case 'phase': {
        // The engine may announce 'starting' more than once per run (preparing data, then workers).
        const wasActive = isActive(this.phase);
        this.phase = event.phase;
        if (event.phase === 'starting' && !wasActive) this.beginRun();
        const live = this.book.live;
        if (event.phase === 'failed' && live && !live.result) live.error = event.message;
        this.view.say(this.prefix() + event.message, event.phase === 'failed');
        // The run's last save is written before it ends: list it with the others. A failed run sends no
        // 'done' event: its last rounds are drawn now, not when a paced redraw comes due.
        if (event.phase === 'done' || event.phase === 'failed') {
          void this.checkpoints.refreshSaved();
          this.schedule();
        }
        break;
      }
      case 'workers':
        if (this.book.live) this.book.live.workers = event.workers;
        this.workers.show(event.workers);
        this.sidebar.showWorkers(event.workers);
        break;
      case 'round':
        this.book.live?.events.push(event.event);
        this.view.addRunEvents(event.event);
        this.writing.roundDone(event.event.round);
        this.schedule(this.phase === 'training');
        break;
      case 'log':
        this.view.addLog(event.level, event.message);
        break;
      case 'done': {
        this.model.keep(event.result);
        const live = this.book.live;
        if (live && !live.result) this.book.recordOf(event.result, this.phase);
        this.view.say(`${this.prefix()}${finishedText(live?.n ?? null, event.result)}`);
        this.refresh();
        this.writing.runEnded();
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

  /** The whole config, then the sweep's parameters: the address bar reproduces both. */
  private writeUrl(config: RunConfig): void {
    const sweep = sweepQuery(this.sweepPlan);
    history.replaceState(history.state, '', `${location.pathname}?${formatUrlConfig(config)}${sweep ? `&${sweep}` : ''}${location.hash}`);
  }

  /** "Sweep trial 2 of 6 (biased seed=1 tauFast=16): " while a sweep's trial runs; else Run all's prefix, or empty. */
  private prefix(): string {
    const trial = this.sweeps.currentTrial();
    if (!trial) return this.starter.prefix();
    return `Sweep trial ${trial.trial.index + 1} of ${trial.total} (${trial.trial.id}): `;
  }

  private beginRun(): void {
    // A resumed run starts with its checkpoint's history (the engine has it already): charts, readouts and
    // run events continue from the saved round instead of starting over.
    const history = restoredEvents(this.engine.events());
    const trial = this.sweeps.currentTrial();
    const live = this.book.begin(this.starter.takePendingConfig() ?? trial?.config ?? null, history);
    if (trial) live.sweep = trial.trial.id;
    // A resumed run's cadence counts on from its saved round.
    this.writing.runStarted(live.n, history[history.length - 1]?.round ?? 0);
    this.view.clearLog();
    this.view.showRunEvents(history);
    this.workers.clear();
    // Out of the way while the run trains; its end lists the saved runs again, this one included.
    this.checkpoints.hideBanner();
    this.schedule();
  }

  private addWorker(backend: BackendName): void {
    this.view.addLog('info', `Adding a ${backend} worker: it is started and profiled, then trains from the next round.`);
    this.engine.addWorker(backend).then(
      () => this.refresh(),
      (e: unknown) => this.view.addLog('error', `The ${backend} worker could not join: ${messageOf(e)}`),
    );
  }

  private removeWorker(id: number): void {
    try {
      this.engine.removeWorker(id);
      this.workers.markLeaving(id);
      this.view.addLog('info', `Removing worker ${id}: its current round is discarded and the others go on.`);
    } catch (e) {
      this.view.addLog('error', messageOf(e));
    }
    this.refresh();
  }

  private runAlgos(algos: Algo[]): void {
    if (this.sidebar.form.isValid()) void this.starter.runAlgos(algos, this.store.get());
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (e) {
      this.view.say(messageOf(e));
    }
  }

  /** Enables exactly the buttons that make sense now. Cheap; called after every event and input. */
  private refresh(): void {
    const live = this.book.live;
    const state = controlState({
      phase: this.phase,
      ready: this.isReady,
      valid: this.sidebar.form.isValid(),
      sequenceRunning: this.claims.held,
      runAllChosen: this.runs.chosenAlgos().length,
      hasLive: live !== null,
      liveHasRounds: (live?.events.length ?? 0) > 0,
      archiveSize: this.archive.list().length,
      exportSelected: this.runs.hasSelection(),
      exportModelKept: this.model.chosenKept(),
      modelExporting: this.model.exporting,
    });
    this.controls.apply(state, this.sidebar.form.firstError());
    this.sweepPanel.setEngineFree(state.buttons.start);
    this.writing.setShown(this.isText());
    this.workers.setRemovable(state.removeWorker);
    this.checkpoints.setState(state.checkpoints);
  }

  /**
   * Charts, timeline, samples and readouts redraw at most once per frame,
   * however many events arrived; after a round of a run that trains, at most
   * once per LIVE_REDRAW_MS (frame-pacer.ts says why). Anything else (a run
   * starting, ending or failing, Reset, the time axis, the finished runs
   * changing) redraws on the next frame.
   */
  private schedule(paced = false): void {
    this.pacer.request(paced);
  }

  private draw(): void {
    this.view.render({
      live: this.book.live,
      finished: this.archive.list().map((r) => this.book.recordOf(r, this.phase)),
      axis: this.axis,
      ...this.samplesAndText(),
    });
  }

  /** The dataset of the live run, or of the config without one; null when not known (a run a script started). */
  private shownDataset(): string | null {
    const live = this.book.live;
    if (!live) return this.store.get().dataset;
    return (live.config ?? live.result?.config)?.dataset ?? null;
  }

  /** True when the live run (or, without one, the config) is on text; a run of unknown config asks the engine. */
  private isText(): boolean {
    const dataset = this.shownDataset();
    return dataset === null ? (this.engine.datasetInfo()?.text ?? null) !== null : isTextDataset(dataset);
  }

  /**
   * The hardest samples with the vocabulary they are windows in (the
   * engine's dataset: both come from its memory), and the text readouts'
   * baseline, from the engine once it holds the run's dataset.
   */
  private samplesAndText(): Pick<LiveFrame, 'hardest' | 'vocabulary' | 'text'> {
    const info = this.engine.datasetInfo();
    const dataset = this.shownDataset();
    const text = this.isText()
      ? { unigramBitsPerChar: info?.text && (dataset === null || info.id === dataset) ? info.text.unigramBitsPerChar : null }
      : null;
    return {
      hardest: this.book.live ? this.engine.hardestSamples(HARD_SAMPLES) : [],
      vocabulary: info?.text?.vocabulary ?? null,
      text,
    };
  }

  private renderRuns(): void {
    this.runs.show(this.archive.list().map((result) => ({ result, record: this.book.recordOf(result, this.phase) })));
  }
}
