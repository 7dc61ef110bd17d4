/**
 * The members of a run: who trains, how fast each is, its budget and bias
 * role, and its place in its shard. Profiling seats the pool; workers join
 * and leave between rounds; the fastest member (by the step-time estimate)
 * is the one definition of "fast" for budgets, roles and evaluation.
 */
import { batchSizeOf, type BackendName, type Mechanisms, type RunConfig } from '../core/config';
import { giveBack, selectBiasedWorkers } from '../core/sampler';
import { computeBudgets, fastestIndex } from '../core/schedule';
import type { ProfileReport, WorkerInfo } from '../protocol';
import type { Prepared } from './dataset-memory';
import { optimizerSettings, slowdownOf } from './run-helpers';
import type { Departure, Member, RunState } from './run-state';
import { planShards, shardsStale } from './shard-planner';
import { reasonOf, type WorkerHandle } from './worker-handle';
import type { WorkerPool } from './worker-pool';

export function newMember(
  worker: WorkerHandle,
  profile: Pick<ProfileReport, 'stepMs' | 'measuredStepMs'>,
  slowdown: number,
  tau: number,
  batch: number,
): Member {
  return {
    worker,
    batch,
    estimateMs: profile.stepMs,
    stepMs: profile.stepMs,
    measuredStepMs: profile.measuredStepMs,
    slowdown,
    tau,
    paces: false,
    floor: tau,
    biased: false,
    shard: { offset: 0, length: 0, stored: 0, builtBiased: false, uniformFrom: 0 },
    steps: 0,
    samples: 0,
    busyMs: 0,
    idleMs: 0,
  };
}

/** The member with the smallest step-time estimate, or null for none. */
export function fastestMember(members: readonly Member[]): Member | null {
  return members.length === 0 ? null : (members[fastestIndex(members.map((m) => m.estimateMs))] ?? null);
}

/**
 * tau_i from the current step-time estimates (slowWorkers fill: rounds
 * sized to the slowest step); bias roles from the current fastest. Returns
 * the fast worker's budget.
 */
export function assignBudgets(members: readonly Member[], config: RunConfig, mech: Mechanisms): number {
  if (members.length === 0) return config.tauFast;
  const budgets = computeBudgets(members.map((m) => m.estimateMs), config.tauFast, {
    unbalanced: mech.unbalancedSteps,
    fill: config.slowWorkers !== 'wait',
  });
  const biased = mech.biasedSampling
    ? selectBiasedWorkers(config.biasDirection, budgets.fastIndex, members.length)
    : members.map(() => false);
  members.forEach((m, i) => {
    m.tau = budgets.tau[i] ?? config.tauFast;
    m.paces = budgets.paces[i] ?? false;
    m.floor = budgets.floor[i] ?? m.tau;
    m.biased = biased[i] ?? false;
  });
  return budgets.tauFast;
}

/** What the page's workers table and `tandem.workers()` show. */
export function workerInfos(members: readonly Member[], parked: RunState['parked'] = []): WorkerInfo[] {
  const fastest = fastestMember(members);
  const info = (m: Member, role: WorkerInfo['role'], why: string | null): WorkerInfo => ({
    id: m.worker.id,
    requested: m.worker.requested,
    backend: m.worker.report.backend,
    report: m.worker.report,
    stepMs: m.estimateMs,
    role,
    parked: why,
  });
  return [
    ...members.map((m) => info(m, m === fastest ? 'fast' : 'slow', null)),
    ...parked.map((p) => info(p.member, 'parked', p.reason)),
  ].sort((a, b) => a.id - b.id);
}

/**
 * Profiles `workers` all at once (budgets must reflect speed inside the
 * pool), each on a uniform permutation of the training set. A worker that
 * fails here leaves the run; the others are seated.
 */
export async function profileWorkers(
  workers: readonly WorkerHandle[],
  config: RunConfig,
  memory: Prepared,
  permutation: () => Int32Array,
): Promise<{ seated: { worker: WorkerHandle; profile: ProfileReport; slowdown: number }[]; lost: { worker: WorkerHandle; reason: string }[] }> {
  const { views } = memory;
  for (const w of workers) views.shard(w.id).set(permutation());
  const settled = await Promise.allSettled(
    workers.map((w) => {
      const slowdown = slowdownOf(config, w.id, 1);
      return w.call((a) => a.profile(config.warmupSteps, config.profileSteps, slowdown)).then((profile) => ({ worker: w, profile, slowdown }));
    }),
  );
  const seated: { worker: WorkerHandle; profile: ProfileReport; slowdown: number }[] = [];
  const lost: { worker: WorkerHandle; reason: string }[] = [];
  settled.forEach((s, i) => {
    const worker = workers[i];
    if (!worker) return;
    if (s.status === 'fulfilled') seated.push(s.value);
    else lost.push({ worker, reason: reasonOf(s.reason) });
  });
  return { seated, lost };
}

/**
 * Uniform samples `m` was given and did not train on go back to the stream,
 * first in line, and its shard is emptied: at a rebuild, and when it leaves
 * or is parked, so a pass still trains on every sample once. A biased
 * member's loss-ranked quota is not given back: it was drawn, not dealt.
 */
export function returnUnused(run: RunState, m: Member): void {
  const { offset, length, stored, uniformFrom } = m.shard;
  const from = Math.max(offset, uniformFrom);
  const end = Math.min(length, stored);
  if (from < end) giveBack(run.uniform, run.memory.views.shard(m.worker.id).slice(from, end));
  m.shard = { offset: 0, length: 0, stored: 0, builtBiased: false, uniformFrom: 0 };
}

/**
 * Gives every member a new shard when any would run past its own or any
 * bias role changed; `stepsOf` is what each takes before the next check.
 */
export function ensureShards(run: RunState, stepsOf: (m: Member) => number, boundOf: (m: Member) => number = stepsOf): void {
  const { members, config } = run;
  const { views, trainSize } = run.memory;
  // In samples: each member reads B_i samples a step, at its own batch size; a filler may read up to its bound.
  const needs = members.map((m) => ({ cursor: m.shard, samples: stepsOf(m) * m.batch, bound: boundOf(m) * m.batch, biased: m.biased }));
  if (!shardsStale(needs)) return;
  for (const m of members) returnUnused(run, m);
  const plan = planShards({
    needs,
    n: trainSize,
    lambda: config.lambda,
    losses: views.losses,
    rng: run.shardRng,
    capacity: views.spec.shardCapacity,
    resampleEvery: config.resampleEvery,
    pool: config.biasPool,
    stream: run.uniform,
    // The figures change from rebuild to rebuild; once a run is enough to know lambda is capped.
    note: (text) => tellOnce(run, text, 'bias pool capped'),
  });
  members.forEach((m, i) => {
    const stored = plan.stored[i];
    const cursor = plan.cursors[i];
    if (!stored || !cursor) throw new Error(`The shard planner returned no shard for worker ${m.worker.id}.`);
    views.shard(m.worker.id).set(stored);
    m.shard = cursor;
  });
}

/**
 * Moves members that left (this round, or between rounds: removed while
 * paused, device lost while idle) to `departed` and out of the pool;
 * budgets are then recomputed for the rest. Returns a note per departure.
 */
export function dropDeparted(run: RunState, lost: Departure[], pool: WorkerPool | null): string[] {
  for (const m of [...run.members, ...run.parked.map((p) => p.member)]) {
    const reason = m.worker.lostReason();
    if (reason !== null && !lost.some((l) => l.member === m)) lost.push({ member: m, reason });
  }
  if (lost.length === 0) return [];
  const notes: string[] = [];
  for (const { member, reason } of lost) {
    returnUnused(run, member);
    run.members = run.members.filter((m) => m !== member);
    run.parked = run.parked.filter((p) => p.member !== member);
    run.departed.push(member);
    pool?.remove(member.worker.id, reason);
    notes.push(`worker ${member.worker.id} (${member.worker.report.backend}) left: ${reason}`);
  }
  assignBudgets(run.members, run.config, run.mech);
  return notes;
}

/** Starts, configures and profiles a worker that joins mid-run; it trains from the next round. */
export async function seatJoiner(run: RunState, pool: WorkerPool, backend: BackendName): Promise<Member> {
  const worker = await pool.add(backend);
  try {
    const slowdown = slowdownOf(run.config, worker.id, run.round + 1);
    await worker.call((a) => a.configure(optimizerSettings(run.config, run.memory.model, run.learningRate, worker.report.backend), true));
    const views = run.memory.views;
    views.shard(worker.id).set(run.shardRng.permutation(run.memory.trainSize));
    const profile = await worker.call((a) => a.profile(run.config.warmupSteps, run.config.profileSteps, slowdown));
    await worker.call((a) => a.loadGlobal(true));
    const member = newMember(worker, profile, slowdown, run.config.tauFast, batchSizeOf(run.config, worker.report.backend));
    run.members.push(member);
    assignBudgets(run.members, run.config, run.mech);
    return member;
  } catch (e) {
    pool.remove(worker.id, `failed to join: ${reasonOf(e)}`);
    throw e;
  }
}

/** A note for the next round event and the log, the first time one of its `kind` is said in the run. */
export function tellOnce(run: RunState, text: string, kind: string = text): void {
  if (run.told.has(kind)) return;
  run.told.add(kind);
  run.notes.push(text);
  run.log('info', text);
}
