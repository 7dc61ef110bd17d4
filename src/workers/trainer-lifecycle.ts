/**
 * Where a trainer is in its life, and which calls that allows: one call at a
 * time once started, none after its backend is lost (saying why) or after it
 * is disposed.
 */

export class TrainerError extends Error {
  override readonly name = 'TrainerError';
}

type TrainerState = 'new' | 'ready' | 'busy' | 'lost' | 'disposed';

export class TrainerLifecycle {
  private state: TrainerState = 'new';
  private lostReason: string | null = null;

  /** Refuses a second init of worker `id`. */
  checkNew(id: number): void {
    if (this.state !== 'new') throw new TrainerError(`Worker ${id}: init called twice (state ${this.state}).`);
  }

  started(): void {
    this.state = 'ready';
  }

  disposed(): void {
    this.state = 'disposed';
  }

  /** Marks the backend gone; true the first time (the host is told once). */
  lose(reason: string): boolean {
    if (this.state === 'lost') return false;
    this.lostReason = reason;
    this.state = 'lost';
    return true;
  }

  isLost(): boolean {
    return this.state === 'lost';
  }

  /** Starts call `what` of worker `id`, or says why it cannot run now. */
  enter(id: number, what: string): void {
    if (this.state === 'ready') {
      this.state = 'busy';
      return;
    }
    if (this.state === 'lost') {
      throw new TrainerError(`Worker ${id}: cannot ${what}: ${this.lostReason ?? 'backend lost'}.`);
    }
    throw new TrainerError(`Worker ${id}: cannot ${what} while ${this.state}.`);
  }

  leave(): void {
    if (this.state === 'busy') this.state = 'ready';
  }
}
