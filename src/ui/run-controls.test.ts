import { describe, expect, it } from 'vitest';
import type { RunPhase } from '../protocol';
import { controlState, isActive, type ControlInput, type ControlState, type RunButton } from './run-controls';

/** Ready, valid, nothing running, a finished run on the charts and in the archive, one chosen for export. */
const BASE: ControlInput = {
  phase: 'idle',
  ready: true,
  valid: true,
  sequenceRunning: false,
  runAllChosen: 2,
  hasLive: true,
  liveHasRounds: true,
  archiveSize: 1,
  exportSelected: true,
  exportModelKept: true,
  modelExporting: false,
};

type Expected = Pick<Record<RunButton, boolean>, 'start' | 'pause' | 'resume' | 'stop' | 'reset' | 'model'> & {
  pool: boolean;
  checkpoints: ControlState['checkpoints'];
};

const idleCheckpoints = { active: false, running: false, exportable: true };
const runningCheckpoints = { active: true, running: true, exportable: false };

/** Every phase, so a new phase fails to compile until its buttons are decided. */
const BY_PHASE: Record<RunPhase, Expected> = {
  idle: { start: true, pause: false, resume: false, stop: false, reset: true, model: true, pool: false, checkpoints: idleCheckpoints },
  starting: { start: false, pause: false, resume: false, stop: true, reset: false, model: true, pool: false, checkpoints: runningCheckpoints },
  profiling: { start: false, pause: false, resume: false, stop: true, reset: false, model: true, pool: true, checkpoints: runningCheckpoints },
  training: { start: false, pause: true, resume: false, stop: true, reset: false, model: true, pool: true, checkpoints: runningCheckpoints },
  // Stop waits until the pause has taken: the engine ignores it while pausing.
  pausing: { start: false, pause: false, resume: true, stop: false, reset: false, model: true, pool: true, checkpoints: runningCheckpoints },
  paused: {
    start: false,
    pause: false,
    resume: true,
    stop: true,
    reset: false,
    model: true,
    pool: true,
    checkpoints: { active: true, running: true, exportable: true },
  },
  stopping: { start: false, pause: false, resume: false, stop: false, reset: false, model: true, pool: false, checkpoints: runningCheckpoints },
  done: { start: true, pause: false, resume: false, stop: false, reset: true, model: true, pool: false, checkpoints: idleCheckpoints },
  failed: { start: true, pause: false, resume: false, stop: false, reset: true, model: true, pool: false, checkpoints: idleCheckpoints },
};

describe('controlState', () => {
  for (const [phase, expected] of Object.entries(BY_PHASE) as [RunPhase, Expected][]) {
    it(`in phase ${phase}`, () => {
      const s = controlState({ ...BASE, phase });
      const { pool, checkpoints, ...buttons } = expected;
      expect({ ...s.buttons }).toMatchObject(buttons);
      expect(s.buttons.runAll).toBe(expected.start);
      expect(s.addWorker).toBe(pool);
      expect(s.removeWorker).toBe(pool);
      expect(s.checkpoints).toEqual(checkpoints);
      expect(isActive(phase)).toBe(checkpoints.running);
      // Neither the archive nor the export choice depends on the phase.
      expect(s.buttons.clear).toBe(true);
      expect(s.buttons.json && s.buttons.csv).toBe(true);
    });
  }

  it('keeps Start and Run all disabled until the dataset is loaded, and holds resumes and imports', () => {
    const s = controlState({ ...BASE, ready: false });
    expect(s.buttons.start).toBe(false);
    expect(s.buttons.runAll).toBe(false);
    expect(s.checkpoints).toEqual({ active: true, running: false, exportable: true });
  });

  it('keeps Start and Run all disabled while the configuration is invalid; Reset and exports stay', () => {
    const s = controlState({ ...BASE, valid: false });
    expect(s.buttons).toMatchObject({ start: false, runAll: false, reset: true, json: true, csv: true });
  });

  it('treats a sequence between its runs as running: nothing new starts, Reset waits', () => {
    for (const phase of ['idle', 'done', 'failed'] as const) {
      const s = controlState({ ...BASE, phase, sequenceRunning: true });
      expect(s.buttons).toMatchObject({ start: false, runAll: false, reset: false });
      expect(s.checkpoints).toMatchObject({ active: true, running: true });
    }
  });

  it('enables Run all only with an algorithm ticked', () => {
    expect(controlState({ ...BASE, runAllChosen: 0 }).buttons).toMatchObject({ start: true, runAll: false });
    expect(controlState({ ...BASE, runAllChosen: 1 }).buttons.runAll).toBe(true);
  });

  it('enables Reset and the checkpoint export only with a run on the charts', () => {
    const s = controlState({ ...BASE, phase: 'done', hasLive: false, liveHasRounds: false, exportSelected: false });
    expect(s.buttons.reset).toBe(false);
    expect(s.buttons.model).toBe(false);
    expect(s.checkpoints.exportable).toBe(false);
  });

  it('offers the chosen run’s kept model in any phase, also after Reset; with none chosen, the live run’s once it has a round; never twice at once', () => {
    for (const phase of ['idle', 'training', 'failed'] as const) {
      expect(controlState({ ...BASE, phase, hasLive: false, liveHasRounds: false }).buttons.model).toBe(true);
      expect(controlState({ ...BASE, phase, exportModelKept: false }).buttons.model).toBe(false);
    }
    const live = { ...BASE, exportSelected: false, exportModelKept: false };
    expect(controlState({ ...live, phase: 'paused' }).buttons.model).toBe(true);
    expect(controlState({ ...live, phase: 'paused', liveHasRounds: false }).buttons.model).toBe(false);
    expect(controlState({ ...live, phase: 'training' }).buttons.model).toBe(false);
    expect(controlState({ ...BASE, phase: 'done', modelExporting: true }).buttons.model).toBe(false);
  });

  it('enables Clear runs with finished runs, and the exports with a run chosen', () => {
    const s = controlState({ ...BASE, archiveSize: 0, exportSelected: false });
    expect(s.buttons).toMatchObject({ clear: false, json: false, csv: false });
  });
});
