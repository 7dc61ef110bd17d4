/**
 * One round of training, however the algorithm does it. The run loop picks
 * the strategy from the algorithm's mechanisms and hands it the run; the
 * strategy trains, updates theta_bar and the members' counters, and reports.
 */
import type { Mechanisms } from '../../core/config';
import type { RoundOutcome, RunState } from '../run-state';
import { localRound } from './local-round';
import { syncRound } from './sync-round';

/** What a strategy may ask of the run loop in the middle of a round. */
export interface RoundHooks {
  /** True when the training clock says an evaluation is due (evalEverySeconds). */
  probeDue(): boolean;
  /**
   * Evaluates theta_bar now (off the training clock); the strategy has put
   * its current model there. 'stop': the target is reached, end the round.
   */
  probe(): Promise<'stop' | 'go'>;
}

export interface RoundStrategy {
  /** What the rounds are called in messages. */
  readonly name: 'local' | 'sync';
  run(run: RunState, hooks: RoundHooks): Promise<RoundOutcome>;
}

/**
 * biased, local and fast-only are one local-SGD family (they differ in the
 * roster: budgets, bias roles, who is seated); sync averages every step.
 */
export function strategyFor(mech: Mechanisms): RoundStrategy {
  return mech.synchronous ? { name: 'sync', run: syncRound } : { name: 'local', run: localRound };
}
