/**
 * Measures the pool with and without its least contributing workers, all
 * stepping at once as they would in a round, and parks those the others
 * train faster without (core/parking.ts decides). The windows train nothing:
 * each worker puts its model and momentum back after one.
 */
import { describeVerdict, parkingCandidates, verdict, type ParkingVerdict, type PoolWindow } from '../core/parking';
import { batchSizeOf, type RunConfig, type WorkerGroup } from '../core/config';
import { createRng } from '../core/rng';
import type { MeasureReport } from '../protocol';
import type { Prepared } from './dataset-memory';
import { newMember, profileWorkers, returnUnused } from './roster';
import type { Departure, Member, RunState } from './run-state';
import { reasonOf, type WorkerHandle } from './worker-handle';

/** A window short enough to cost little, long enough for several steps of a usual worker. */
export const MIN_WINDOW_MS = 300;

/** The window: at least MIN_WINDOW_MS, and 1.2 slowest steps, so a worker slower than that still overlaps the others for a whole step. */
export function windowMs(members: readonly Member[]): number {
  return Math.max(MIN_WINDOW_MS, 1.2 * Math.max(0, ...members.map((m) => m.estimateMs)));
}

export interface PoolCheck {
  kept: Member[];
  parked: { member: Member; reason: string }[];
  verdicts: ParkingVerdict[];
  lost: Departure[];
  /** One line per verdict, for round notes and the log. */
  notes: string[];
}

/**
 * Decides which of `seated` train. Every kept worker's step-time estimate is
 * then the one measured beside the kept pool (the budgets' input).
 */
export async function checkPool(seated: readonly Member[]): Promise<PoolCheck> {
  const lost: Departure[] = [];
  let kept = seated.slice();
  const verdicts: ParkingVerdict[] = [];
  const reasons = new Map<Member, string>();
  const notes: string[] = [];
  if (kept.length < 2) return { kept, parked: [], verdicts, lost, notes };
  const ms = windowMs(kept);
  let current = await measureWindow(kept, ms, lost);
  kept = kept.filter((m) => !lost.some((l) => l.member === m));
  for (const id of parkingCandidates(current.window)) {
    if (kept.length < 2) break;
    const without = kept.filter((m) => m.worker.id !== id);
    const member = kept.find((m) => m.worker.id === id);
    if (!member) continue;
    const next = await measureWindow(without, ms, lost);
    if (lost.length > 0) {
      // A worker left mid-measurement: the windows no longer compare like with like; keep what was decided.
      kept = kept.filter((m) => !lost.some((l) => l.member === m));
      break;
    }
    const v = verdict(id, current.window, next.window);
    verdicts.push(v);
    const line = describeVerdict(v, member.worker.report.backend);
    notes.push(line);
    if (v.park) {
      reasons.set(member, line);
      kept = without;
      current = next;
    }
  }
  for (const m of kept) {
    const stepMs = current.stepMs.get(m);
    if (stepMs !== undefined) {
      m.estimateMs = stepMs;
      m.stepMs = stepMs;
    }
  }
  const parked = seated
    .filter((m) => !kept.includes(m) && !lost.some((l) => l.member === m))
    .map((member) => ({ member, reason: reasons.get(member) ?? 'parked' }));
  return { kept, parked, verdicts, lost, notes };
}

/** Every member of `members` steps until the same deadline; the window is from the call to the last return. */
async function measureWindow(
  members: readonly Member[],
  ms: number,
  lost: Departure[],
): Promise<{ window: PoolWindow; stepMs: Map<Member, number> }> {
  const until = performance.timeOrigin + performance.now() + ms;
  const t0 = performance.now();
  const settled = await Promise.allSettled(members.map((m) => m.worker.call((a) => a.measure(until, m.slowdown))));
  const wallMs = Math.max(1e-3, performance.now() - t0);
  const reports: MeasureReport[] = [];
  const stepMs = new Map<Member, number>();
  settled.forEach((s, i) => {
    const m = members[i];
    if (!m) return;
    if (s.status === 'fulfilled') {
      reports.push(s.value);
      stepMs.set(m, s.value.stepMs);
    } else lost.push({ member: m, reason: reasonOf(s.reason) });
  });
  return { window: { workers: reports.map((r) => ({ id: r.id, samples: r.samples })), wallMs }, stepMs };
}

/** True when the pool is due a re-check before round `round`: workers joined or left, or poolCheckEvery under adaptive budgets. */
export function poolCheckDue(run: RunState, round: number): boolean {
  const { config } = run;
  if (config.parking !== 'auto' || run.mech.fastOnly) return false;
  if (run.members.length + run.parked.length < 2) return false;
  if (run.poolChanged) return true;
  return config.adaptiveBudgets && config.poolCheckEvery > 0 && round > 1 && (round - 1) % config.poolCheckEvery === 0;
}

/**
 * Checks members and parked workers again between rounds: a parked worker
 * the pool now trains faster with comes back (from theta_bar, fresh
 * momentum, a new shard), a member that now slows it is parked.
 * Returns the departures and notes for the round.
 */
export async function recheckPool(run: RunState): Promise<{ lost: Departure[]; notes: string[] }> {
  run.poolChanged = false;
  const before = new Set(run.members);
  const check = await checkPool([...run.members, ...run.parked.map((p) => p.member)]);
  const notes: string[] = [];
  for (const m of check.kept) {
    if (before.has(m)) continue;
    await unpark(m).catch((e: unknown) => check.lost.push({ member: m, reason: reasonOf(e) }));
    notes.push(`worker ${m.worker.id} (${m.worker.report.backend}) trains again`);
  }
  const kept = check.kept.filter((m) => !check.lost.some((l) => l.member === m));
  const changed = kept.length !== run.members.length || kept.some((m) => !before.has(m));
  // A member parked or lost now hands back what it was dealt and did not train on (for a lost one,
  // dropDeparted's own call then finds its shard empty).
  for (const m of before) if (!kept.includes(m)) returnUnused(run, m);
  run.members = kept;
  run.parked = check.parked;
  // Unchanged verdicts are said once, when they were first made; a change is news.
  return { lost: check.lost, notes: changed ? [...check.notes, ...notes] : notes };
}

/**
 * Profiles `workers` and checks them as a run with parking auto would, for a
 * comparison that must train every algorithm on one pool: the kept workers
 * as groups of the backends they asked for, and the verdicts.
 */
export async function decidePool(
  config: RunConfig,
  memory: Prepared,
  workers: readonly WorkerHandle[],
): Promise<{ kept: WorkerGroup[]; notes: string[]; measureMs: number }> {
  const t0 = performance.now();
  const rng = createRng(config.seed).fork('pool');
  const profiled = await profileWorkers(workers, config, memory, () => rng.permutation(memory.trainSize));
  const check = await checkPool(profiled.seated.map((s) => newMember(s.worker, s.profile, s.slowdown, config.tauFast, batchSizeOf(config, s.worker.report.backend))));
  const notes = [
    ...profiled.lost.map((l) => `worker ${l.worker.id} left while profiled: ${l.reason}`),
    ...check.lost.map((l) => `worker ${l.member.worker.id} left while measured: ${l.reason}`),
    ...check.notes,
  ];
  const kept: WorkerGroup[] = [];
  for (const m of check.kept) {
    const group = kept.find((g) => g.backend === m.worker.requested);
    if (group) group.count++;
    else kept.push({ backend: m.worker.requested, count: 1 });
  }
  return { kept, notes, measureMs: performance.now() - t0 };
}

/** A parked worker about to train again: from theta_bar with fresh momentum, on a new shard (its old one is stale). */
export async function unpark(m: Member): Promise<void> {
  m.shard = { offset: 0, length: 0, stored: 0, builtBiased: false, uniformFrom: 0 };
  await m.worker.call((a) => a.loadGlobal(true));
}
