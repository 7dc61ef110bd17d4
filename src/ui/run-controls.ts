/**
 * The run's buttons: Start, Pause, Resume, Stop and Reset in the run bar,
 * Add <backend> worker in the pool bar, and Run all, Clear runs and the
 * exports that the runs panel places. Which may be pressed is `controlState`,
 * a pure function of what the page knows, unit-tested for every phase; the
 * class only creates the buttons and applies its answer.
 */
import { BACKENDS, type BackendName } from '../core/config';
import type { RunPhase } from '../protocol';
import { el } from './dom';

/** Phases in which a run holds the engine, from 'starting' until it has ended. */
export const ACTIVE_PHASES: readonly RunPhase[] = ['starting', 'profiling', 'training', 'pausing', 'paused', 'stopping'];
/** Phases in which the run's pool can change: a worker joins at the next round, or leaves. */
// From profiling on: the engine lists the workers while they profile, and one added then joins at round 1.
const POOL_EDITABLE: readonly RunPhase[] = ['profiling', 'training', 'pausing', 'paused'];
/** Phases between rounds or after a run, when the run's checkpoint is whole (not mid-round). */
const SETTLED: readonly RunPhase[] = ['paused', 'done', 'failed', 'idle'];
/** The engine ignores stop while pausing; it takes it once paused. */
const STOPPABLE: readonly RunPhase[] = ['starting', 'profiling', 'training', 'paused'];
/** The model can be exported between rounds of a paused run or after a finished one. */
const MODEL_READY: readonly RunPhase[] = ['paused', 'done'];

export function isActive(phase: RunPhase): boolean {
  return ACTIVE_PHASES.includes(phase);
}

export type RunButton = 'start' | 'pause' | 'resume' | 'stop' | 'reset' | 'runAll' | 'clear' | 'json' | 'csv' | 'model';

/** What the page knows that decides which buttons may be pressed. */
export interface ControlInput {
  readonly phase: RunPhase;
  /** The dataset is loaded: before that, a run (or a resume) would race the loading. */
  readonly ready: boolean;
  /** Every config control holds a value the validator accepted. */
  readonly valid: boolean;
  /** A Start, Run all or saved-run resume of the page's is under way, between its runs too. */
  readonly sequenceRunning: boolean;
  /** Algorithms ticked for Run all. */
  readonly runAllChosen: number;
  /** A run is on the live charts: running, or the last one until Reset. */
  readonly hasLive: boolean;
  /** The live run has finished a round, so it has a trained model. */
  readonly liveHasRounds: boolean;
  /** Finished runs kept for comparison. */
  readonly archiveSize: number;
  /** A run is chosen in "Run to export". */
  readonly exportSelected: boolean;
  /** The run chosen in "Run to export" has its final weights kept on this page. */
  readonly exportModelKept: boolean;
  /** A model download is being prepared. */
  readonly modelExporting: boolean;
}

/** `true` = enabled. */
export interface ControlState {
  readonly buttons: Readonly<Record<RunButton, boolean>>;
  readonly addWorker: boolean;
  /** Each worker's Remove, unless that worker is already leaving (the workers table knows). */
  readonly removeWorker: boolean;
  /** For CheckpointControls.setState. */
  readonly checkpoints: { readonly active: boolean; readonly running: boolean; readonly exportable: boolean };
}

export function controlState(s: ControlInput): ControlState {
  const idle = !isActive(s.phase) && !s.sequenceRunning;
  const start = s.ready && idle && s.valid;
  const exportRun = s.exportSelected;
  const poolEditable = POOL_EDITABLE.includes(s.phase);
  return {
    buttons: {
      start,
      runAll: start && s.runAllChosen > 0,
      pause: s.phase === 'training',
      resume: s.phase === 'paused' || s.phase === 'pausing',
      stop: STOPPABLE.includes(s.phase),
      reset: idle && s.hasLive,
      clear: s.archiveSize > 0,
      json: exportRun,
      csv: exportRun,
      // The chosen run's kept weights (also after Reset), else the live run's model once it has one.
      model: !s.modelExporting && (s.exportSelected ? s.exportModelKept : s.hasLive && s.liveHasRounds && MODEL_READY.includes(s.phase)),
    },
    addWorker: poolEditable,
    removeWorker: poolEditable,
    checkpoints: {
      // A resume or an import now would race the dataset's loading, or be overwritten by the run's next checkpoint.
      active: !idle || !s.ready,
      running: !idle,
      exportable: s.hasLive && SETTLED.includes(s.phase),
    },
  };
}

const LABELS: Readonly<Record<RunButton, string>> = {
  start: 'Start',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  reset: 'Reset',
  runAll: 'Run all',
  clear: 'Clear runs',
  json: 'Export JSON',
  csv: 'Export CSV',
  model: 'Download model',
};

export class RunControls {
  readonly buttons: Readonly<Record<RunButton, HTMLButtonElement>>;
  readonly addButtons: ReadonlyMap<BackendName, HTMLButtonElement>;
  /** Start to Reset, for the live panel. */
  readonly runBar: HTMLElement;
  readonly poolBar: HTMLElement;
  /** Why Start is disabled when the configuration is not valid; Start is described by it. */
  readonly startNote: HTMLElement;

  constructor() {
    const button = (text: string, attrs: Record<string, string | boolean> = {}) => el('button', { type: 'button', ...attrs }, [text]);
    const make = (name: RunButton): HTMLButtonElement => {
      const b = button(LABELS[name], name === 'start' ? { class: 'primary' } : {});
      b.disabled = true;
      return b;
    };
    this.buttons = {
      start: make('start'),
      pause: make('pause'),
      resume: make('resume'),
      stop: make('stop'),
      reset: make('reset'),
      runAll: make('runAll'),
      clear: make('clear'),
      json: make('json'),
      csv: make('csv'),
      model: make('model'),
    };
    this.addButtons = new Map(BACKENDS.map((backend) => [backend, button(`Add ${backend} worker`, { disabled: true })]));
    this.poolBar = el('div', { class: 'buttons poolbar', role: 'group', 'aria-label': 'Change the pool during the run' }, [
      ...this.addButtons.values(),
      el('span', { class: 'note' }, ['A worker joins at the next round; each worker’s Remove is in the workers table.']),
    ]);
    this.startNote = el('p', { class: 'note error', id: 'start-note', hidden: true });
    this.buttons.start.setAttribute('aria-describedby', 'start-note');
    const b = this.buttons;
    this.runBar = el('div', { class: 'buttons runbar', role: 'group', 'aria-label': 'Run' }, [b.start, b.pause, b.resume, b.stop, b.reset]);
  }

  onAddWorker(handler: (backend: BackendName) => void): void {
    for (const [backend, b] of this.addButtons) b.addEventListener('click', () => handler(backend));
  }

  /** `configError`: the first value the validator refused, or null when the configuration is valid. */
  apply(state: ControlState, configError: string | null): void {
    for (const name of Object.keys(this.buttons) as RunButton[]) this.buttons[name].disabled = !state.buttons[name];
    for (const add of this.addButtons.values()) add.disabled = !state.addWorker;
    this.startNote.hidden = configError === null;
    this.startNote.textContent = configError === null ? '' : `Start is disabled until the configuration is valid: ${configError}`;
  }
}
