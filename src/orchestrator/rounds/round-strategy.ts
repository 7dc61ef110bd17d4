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
  /** Training-clock ms until the cadence asks for an evaluation: <= 0 now, Infinity never. */
  msUntilProbe(): number;
  /**
   * Evaluates the strategy's current model, off the training clock:
   * `prepare` puts it in theta_bar and says whether it is finite (if not,
   * nothing is evaluated). 'stop': the target is reached, end the round.
   */
  probe(prepare: () => Promise<boolean>): Promise<'stop' | 'go'>;
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
