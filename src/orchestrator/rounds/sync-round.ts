/**
 * A synchronous data-parallel round: tauFast steps, and at every step every
 * member computes the gradient of its own batch, the gradients are averaged
 * and every member applies the average. All members hold the same model
 * throughout; the fastest waits for the slowest at every step, and that wait
 * is measured (busy vs wall per step), not estimated.
 */
import { weightedAverageInto } from '../../core/aggregate';
import { addWork, memberWork } from '../reports';
import { ensureShards } from '../roster';
import type { Departure, Member, MemberWork, RoundOutcome, RunState } from '../run-state';
import { reasonOf } from '../worker-handle';
import type { RoundHooks } from './round-strategy';

export async function syncRound(run: RunState, hooks: RoundHooks): Promise<RoundOutcome> {
  const { config } = run;
  const { views } = run.memory;
  let members = run.members.slice();
  const lost: Departure[] = [];
  const busy = new Map<Member, number>(members.map((m) => [m, 0]));
  const idle = new Map<Member, number>(members.map((m) => [m, 0]));
  let aggregateMs = 0;
  let lossSum = 0;
  let steps = 0;
  let endedEarly = false;
  /** Calls every member at once; those that fail leave the round. */
  const settle = async <T>(f: (m: Member) => Promise<T>): Promise<Map<Member, T>> => {
    const settled = await Promise.allSettled(members.map(f));
    const ok = new Map<Member, T>();
    settled.forEach((s, i) => {
      const m = members[i];
      if (!m) return;
      if (s.status === 'fulfilled') ok.set(m, s.value);
      else lost.push({ member: m, reason: reasonOf(s.reason) });
    });
    members = members.filter((m) => ok.has(m));
    return ok;
  };
  // Start from theta_bar so backends' rounding differences never accumulate.
  const tl = performance.now();
  await settle((m) => m.worker.call((a) => a.loadGlobal(false)));
  let exchangeMs = performance.now() - tl;
  // Interrupted (stop, time limit): the round ends after the step in progress, counted as the steps it took.
  for (let s = 0; s < config.tauFast && members.length > 0 && !views.interrupted(); s++) {
    run.members = members;
    ensureShards(run, () => 1);
    const stepStart = performance.now();
    const grads = await settle((m) => m.worker.call((a) => a.computeGradient(m.shard.offset, m.shard.stored, m.slowdown)));
    if (members.length === 0) break;
    const ta = performance.now();
    // Each gradient is its batch's mean: weighted by batch size, the average is the mean over every sample of the step.
    const samples = members.reduce((n, m) => n + m.batch, 0);
    weightedAverageInto(views.gradient, members.map((m) => views.slot(m.worker.id)), Float64Array.from(members, (m) => m.batch / samples));
    aggregateMs += performance.now() - ta;
    const applied = await settle((m) => m.worker.call((a) => a.applyGradient()));
    const stepWall = performance.now() - stepStart;
    for (const m of members) {
      const ownMs = (grads.get(m)?.busyMs ?? 0) + (applied.get(m) ?? 0);
      busy.set(m, (busy.get(m) ?? 0) + ownMs);
      idle.set(m, (idle.get(m) ?? 0) + Math.max(0, stepWall - ownMs));
      m.shard.offset += m.batch;
      lossSum += (grads.get(m)?.loss ?? Number.NaN) / members.length;
    }
    steps++;
    // Every member holds the same model after a step: it can be evaluated mid-round, which resolves sync's
    // time to target to a step instead of a whole (long) round.
    const lead = members[0];
    if (lead && s < config.tauFast - 1 && hooks.msUntilProbe() <= 0) {
      const verdict = await hooks.probe(async () => {
        const finite = await lead.worker.call((a) => a.publishModel(run.round)).catch(() => false);
        if (finite) views.global.set(views.slot(lead.worker.id));
        return finite;
      });
      if (verdict === 'stop') {
        endedEarly = true;
        break;
      }
    }
  }
  run.members = [...members, ...lost.map((l) => l.member)];
  // Publish one member's model (all hold the same) as theta_bar.
  const tp = performance.now();
  const lead = members[0];
  if (lead && steps > 0) {
    const finite = await lead.worker.call((a) => a.publishModel(run.round)).catch((e: unknown) => {
      lost.push({ member: lead, reason: reasonOf(e) });
      return false;
    });
    if (finite) views.global.set(views.slot(lead.worker.id));
    else lossSum = Number.NaN;
  }
  exchangeMs += performance.now() - tp;

  const work = new Map<Member, MemberWork>();
  for (const m of members) {
    const busyMs = busy.get(m) ?? 0;
    const own = memberWork(m, {
      tau: config.tauFast,
      steps,
      samples: steps * m.batch,
      busyMs,
      idleMs: idle.get(m) ?? 0,
      stepMs: steps > 0 ? busyMs / steps : m.stepMs,
      biased: false,
    });
    addWork(m, own);
    m.tau = config.tauFast;
    if (steps > 0) m.stepMs = own.stepMs;
    work.set(m, own);
  }
  return { loss: steps > 0 ? lossSum / steps : Number.NaN, aggregateMs, exchangeMs, work, nonFinite: Number.isNaN(lossSum) ? work.size : 0, endedEarly, lost };
}
