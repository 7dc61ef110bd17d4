/**
 * Opens a run on a started pool: theta_bar and the loss table (fresh, or
 * from a checkpoint), every worker configured and profiled inside the pool,
 * the members seated with budgets and roles. Nothing here trains rounds.
 */
import type { Checkpoint } from '../checkpoint/format';
import { batchSizeOf, mechanismsOf, type RunConfig } from '../core/config';
import { createRng } from '../core/rng';
import { uniformStream } from '../core/sampler';
import { initialTheta } from '../models/spec';
import type { Prepared } from './dataset-memory';
import { restore } from './checkpointing';
import { checkPool } from './pool-check';
import { assignBudgets, fastestMember, newMember, profileWorkers } from './roster';
import { roundsPerEpoch, type RunClock } from './run-clock';
import { DivergenceGuard, optimizerSettings } from './run-helpers';
import type { Departure, Member, RunState } from './run-state';
import { RoundSnapshots } from './target-refinement';
import { reasonOf, type WorkerHandle } from './worker-handle';

export interface OpenedRun {
  run: RunState;
  /** Workers that failed while being configured or profiled: they leave before round 1. */
  lost: Departure[];
}

/**
 * Prepares theta_bar and the loss table, configures and profiles `workers`,
 * and seats them (fast-only: the fastest alone). `onProfiling` is called
 * when profiling starts, for the phase.
 */
export async function openRun(input: {
  config: RunConfig;
  memory: Prepared;
  workers: readonly WorkerHandle[];
  clock: RunClock;
  resume: Checkpoint | null;
  log: RunState['log'];
  onProfiling: () => void;
}): Promise<OpenedRun> {
  const { config, memory, workers, clock, resume } = input;
  const { views, model } = memory;
  const mech = mechanismsOf(config);
  const rng = createRng(config.seed);
  if (resume) restore(memory, resume);
  else {
    views.global.set(initialTheta(model, rng.fork('init')));
    views.losses.fill(Number.POSITIVE_INFINITY);
  }
  const learningRate = resume ? resume.learningRate : config.learningRate;
  const lost: { worker: WorkerHandle; reason: string }[] = [];
  const configured = await Promise.allSettled(
    workers.map((w) => w.call((a) => a.configure(optimizerSettings(config, model, learningRate, w.report.backend), true))),
  );
  const ready = workers.filter((w, i) => {
    const c = configured[i];
    if (c?.status === 'rejected') lost.push({ worker: w, reason: reasonOf(c.reason) });
    return c?.status === 'fulfilled';
  });

  input.onProfiling();
  const profileRng = rng.fork('profile');
  const profiled = await clock.profiling(() => profileWorkers(ready, config, memory, () => profileRng.permutation(memory.trainSize)));
  lost.push(...profiled.lost);
  let members = profiled.seated.map((s) => newMember(s.worker, s.profile, s.slowdown, config.tauFast, batchSizeOf(config, s.worker.report.backend)));
  // Parking is decided before the epoch's pool size is: every algorithm counts epochs with the pool that trains.
  let parked: RunState['parked'] = [];
  const poolNotes: string[] = [];
  if (config.parking === 'auto' && members.length > 1) {
    const check = await clock.profiling(() => checkPool(members));
    members = check.kept;
    parked = check.parked;
    poolNotes.push(...check.notes);
    for (const note of check.notes) input.log('info', note);
    lost.push(...check.lost.map((d) => ({ worker: d.member.worker, reason: d.reason })));
  }
  // Every algorithm counts epochs with the pool it started with, fast-only too: one epoch is the same
  // fast-worker iterations for all (README, How it works: epochs).
  const poolSize = members.length;
  let benched: Member[] = [];
  if (mech.fastOnly) {
    const fastest = fastestMember(members);
    benched = members.filter((m) => m !== fastest);
    members = fastest ? [fastest] : [];
  }
  assignBudgets(members, config, mech);
  const loaded = await Promise.allSettled(members.map((m) => m.worker.call((a) => a.loadGlobal(true))));
  const departures: Departure[] = lost.map(({ worker, reason }) => ({ member: newMember(worker, { stepMs: 1, measuredStepMs: 1 }, 1, config.tauFast, config.batchSize), reason }));
  members = members.filter((m, i) => {
    const l = loaded[i];
    if (l?.status === 'rejected') departures.push({ member: m, reason: reasonOf(l.reason) });
    return l?.status === 'fulfilled';
  });

  // The fast worker's batch: an epoch is its tauFast steps times K a round (README, How it works, with per-backend
  // batches), counted in its iterations (a round slowWorkers fill stretched holds more of them).
  const fastBatch = fastestMember(members)?.batch ?? config.batchSize;
  clock.roundsPerEpoch = roundsPerEpoch(memory.trainSize, { batchSize: fastBatch, tauFast: config.tauFast }, poolSize);
  if (resume) clock.resumeFastSteps(resume.history, resume.round);
  const run: RunState = {
    runId: resume?.runId ?? newRunId(),
    priorWork: resume?.totals?.workers ?? [],
    config,
    mech,
    memory,
    clock,
    members,
    departed: [],
    parked,
    benched,
    poolChanged: false,
    shardRng: rng.fork(resume ? `shards-${resume.round}` : 'shards'),
    uniform: uniformStream(),
    told: new Set(),
    round: resume?.round ?? 0,
    learningRate,
    lastGood: views.global.slice(),
    guard: new DivergenceGuard(config.divergenceFactor, Math.log(model.classes)),
    lossesAtRoundStart: views.losses.slice(),
    notes: poolNotes,
    message: null,
    committedRound: resume?.round ?? 0,
    lastAccuracy: null,
    log: input.log,
    fullEval: null,
    snapshots: new RoundSnapshots(),
  };
  return { run, lost: departures };
}

/**
 * A run id unique enough to key saves across tabs and page loads: time and
 * random bits (crypto.randomUUID needs a secure context; getRandomValues does not).
 */
export function newRunId(): string {
  const bits = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}-${Array.from(bits, (b) => b.toString(36)).join('')}`;
}
