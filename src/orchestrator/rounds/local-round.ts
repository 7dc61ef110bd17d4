/**
 * A local-SGD round (biased, local, fast-only): every member loads theta_bar,
 * takes its tau_i steps on its shard and publishes theta_i; theta_bar becomes
 * their weighted average. A member whose model holds NaN or Infinity is left
 * out and restarted from theta_bar with fresh momentum.
 */
import { aggregationWeights, weightedAverageInto } from '../../core/aggregate';
import { ADAPTIVE_SMOOTHING, updateStepEstimate } from '../../core/schedule';
import type { RoundReport } from '../../protocol';
import { addWork, memberWork } from '../reports';
import { ensureShards } from '../roster';
import type { Departure, Member, MemberWork, RoundOutcome, RunState } from '../run-state';
import { reasonOf } from '../worker-handle';

export async function localRound(run: RunState): Promise<RoundOutcome> {
  const { views } = run.memory;
  const round = run.round;
  ensureShards(run, (m) => m.tau);
  const members = run.members.slice();
  const start = performance.now();
  const settled = await Promise.allSettled(
    members.map((m) =>
      m.worker.call((a) =>
        a.runRound({ round, steps: m.tau, shardOffset: m.shard.offset, shardStored: m.shard.stored, slowdown: m.slowdown }),
      ),
    ),
  );
  const wall = performance.now() - start;

  const lost: Departure[] = [];
  const done: { member: Member; report: RoundReport }[] = [];
  settled.forEach((s, i) => {
    const member = members[i];
    if (!member) return;
    if (s.status === 'rejected') lost.push({ member, reason: reasonOf(s.reason) });
    else if (views.slotVersion(member.worker.id) !== round) {
      lost.push({ member, reason: `reported round ${round} but its slot holds version ${views.slotVersion(member.worker.id)}` });
    } else done.push({ member, report: s.value });
  });

  const t0 = performance.now();
  const included = done.map((d) => d.report.finite);
  if (included.some(Boolean)) {
    const weights = aggregationWeights(
      run.mech.aggregation,
      done.map((d) => d.report.steps),
      done.map((d) => d.report.samples),
      included,
    );
    weightedAverageInto(views.global, done.map((d) => views.slot(d.member.worker.id)), weights);
  }
  const aggregateMs = performance.now() - t0;

  const work = new Map<Member, MemberWork>();
  let lossSum = 0;
  let lossWeight = 0;
  for (const { member: m, report: r } of done) {
    const idleMs = Math.max(0, wall - r.busyMs);
    const own = memberWork(m, { tau: m.tau, steps: r.steps, samples: r.samples, busyMs: r.busyMs, idleMs, stepMs: r.stepMs, biased: m.biased });
    m.shard.offset += r.samples;
    addWork(m, own);
    if (r.steps > 0) {
      m.stepMs = r.stepMs;
      m.measuredStepMs = r.measuredStepMs;
    }
    if (!r.finite) {
      run.notes.push(`worker ${m.worker.id} published NaN/Infinity: left out of the average and restarted from theta_bar`);
      run.log('warn', `Worker ${m.worker.id}'s model held NaN/Infinity in round ${round}; excluded.`);
      // Its momentum produced the bad model: start it afresh.
      await m.worker.call((a) => a.loadGlobal(true)).catch(() => undefined);
      continue;
    }
    if (run.config.adaptiveBudgets && r.steps > 0) m.estimateMs = updateStepEstimate(m.estimateMs, r.stepMs, ADAPTIVE_SMOOTHING);
    lossSum += r.loss * r.steps;
    lossWeight += r.steps;
    work.set(m, own);
  }
  return {
    loss: lossWeight > 0 ? lossSum / lossWeight : Number.NaN,
    aggregateMs,
    exchangeMs: done.length > 0 ? Math.max(...done.map((d) => d.report.exchangeMs)) : 0,
    work,
    nonFinite: included.filter((finite) => !finite).length,
    endedEarly: false,
    lost,
  };
}
