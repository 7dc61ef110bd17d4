/**
 * The page's current configuration, shared by the controls, the URL and
 * `window.tandem`: one validated value, and listeners told of each change.
 */
import { DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';

export type ConfigListener = (config: RunConfig) => void;

export class ConfigStore {
  private current: RunConfig;
  private readonly listeners = new Set<ConfigListener>();

  constructor(initial: Partial<RunConfig> = {}) {
    this.current = validateConfig(initial, DEFAULT_CONFIG);
  }

  get(): RunConfig {
    return structuredClone(this.current);
  }

  /** Validates `partial` over the current config; on error nothing changes. */
  set(partial: Partial<RunConfig>): RunConfig {
    this.current = validateConfig(partial, this.current);
    const snapshot = this.get();
    for (const listener of this.listeners) listener(snapshot);
    return snapshot;
  }

  reset(): RunConfig {
    return this.set(validateConfig({}, DEFAULT_CONFIG));
  }

  subscribe(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
