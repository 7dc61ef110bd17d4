/** A request that does not fit the engine's phase: names the phase and what would fit. */
export class RunStateError extends Error {
  override readonly name = 'RunStateError';
}
