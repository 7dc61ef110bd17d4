/** Finished runs kept on the page for comparison until the user clears them. */
import type { RunResult } from '../protocol';

export class RunArchive {
  private readonly results: RunResult[] = [];
  private readonly listeners = new Set<(runs: readonly RunResult[]) => void>();

  add(result: RunResult): void {
    this.results.push(result);
    this.notify();
  }

  list(): RunResult[] {
    return this.results.slice();
  }

  clear(): void {
    this.results.length = 0;
    this.notify();
  }

  subscribe(listener: (runs: readonly RunResult[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    const snapshot = this.list();
    for (const listener of this.listeners) listener(snapshot);
  }
}
