/**
 * One round of training, however the algorithm does it. The run loop picks
 * the strategy from the algorithm's mechanisms and hands it the run; the
 * strategy trains, updates theta_bar and the members' counters, and reports.
 */
import type { Mechanisms } from '../../core/config';
import type { RoundOutcome, RunState } from '../run-state';
import { localRound } from './local-round';
import { syncRound } from './sync-round';

export interface RoundStrategy {
  /** What the rounds are called in messages. */
  readonly name: 'local' | 'sync';
  run(run: RunState): Promise<RoundOutcome>;
}

/**
 * biased, local and fast-only are one local-SGD family (they differ in the
 * roster: budgets, bias roles, who is seated); sync averages every step.
 */
export function strategyFor(mech: Mechanisms): RoundStrategy {
  return mech.synchronous ? { name: 'sync', run: syncRound } : { name: 'local', run: localRound };
}
