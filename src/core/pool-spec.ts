/**
 * The worker pool in a config: backends, how many workers of each (or
 * `auto`, resolved from what the browser has), and per-backend batch sizes;
 * their checks and their text forms (`webgpu:1,wasm:2`, `webgpu:128`).
 */
import { ConfigError, integer, oneOf, type Check } from './config-checks';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];
export const MAX_WORKERS = 8;
/** Next backend to try when one cannot start (fallback policy). */
export const BACKEND_FALLBACK: Readonly<Record<BackendName, BackendName | null>> = {
  webgpu: 'wasm',
  wasm: 'cpu',
  cpu: null,
};

/** How many workers of one backend the pool starts. */
export interface WorkerGroup {
  backend: BackendName;
  count: number;
}

/** Batch sizes for workers of some backends (flag form `webgpu:128,wasm:32`); the others take batchSize. */
export type BatchSizes = Partial<Record<BackendName, number>>;

/**
 * The pool to start: explicit groups, or `auto`, built from what the browser
 * has (see resolveWorkers) with parking deciding by measurement.
 */
export type WorkerSpec = WorkerGroup[] | 'auto';

/** The `workers` key: `auto`, a spec like `webgpu:1,wasm:2`, or [{backend, count}]. */
export const workers: Check<WorkerSpec> = (key, value) => {
  if (typeof value === 'string' && value.trim() === 'auto') return 'auto';
  return workerGroups(key, value);
};

const workerGroups: Check<WorkerGroup[]> = (key, value) => {
  if (typeof value === 'string') {
    const groups = parseWorkerSpec(value, key);
    try {
      return workerGroups(key, groups);
    } catch (e) {
      // Report the text the user typed, not the parsed form.
      throw new ConfigError(key, value, e instanceof ConfigError ? `${e.allowed} (${e.key})` : 'a list like "webgpu:1,wasm:2"');
    }
  }
  const groups = value;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new ConfigError(key, value, 'auto, or a non-empty list like "webgpu:1,wasm:2" or [{backend, count}]');
  }
  const out: WorkerGroup[] = [];
  for (const [i, group] of groups.entries()) {
    if (typeof group !== 'object' || group === null) {
      throw new ConfigError(`${key}[${i}]`, group, 'an object {backend, count}');
    }
    const g = group as Record<string, unknown>;
    const backend = oneOf(BACKENDS)(`${key}[${i}].backend`, g['backend']);
    const count = integer(0, MAX_WORKERS)(`${key}[${i}].count`, g['count']);
    if (count > 0) out.push({ backend, count });
  }
  const total = out.reduce((n, g) => n + g.count, 0);
  if (total < 1 || total > MAX_WORKERS) {
    throw new ConfigError(key, value, `between 1 and ${MAX_WORKERS} workers in all`);
  }
  return out;
};

/** Parses the flag/URL form `webgpu:1,wasm:2`. */
export function parseWorkerSpec(text: string, key = 'workers'): WorkerGroup[] {
  const allowed = `auto, or a list like "webgpu:1,wasm:2" with backends ${BACKENDS.join(', ')}`;
  const groups: WorkerGroup[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+)\s*(?::\s*(\d+))?\s*$/.exec(part);
    if (!match) throw new ConfigError(key, text, allowed);
    const backend = match[1] ?? '';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new ConfigError(key, text, allowed);
    groups.push({ backend: backend as BackendName, count: match[2] === undefined ? 1 : Number(match[2]) });
  }
  return groups;
}

export function formatWorkerSpec(spec: WorkerSpec | readonly WorkerGroup[]): string {
  return spec === 'auto' ? 'auto' : spec.map((g) => `${g.backend}:${g.count}`).join(',');
}

/**
 * The pool `auto` starts: one WebGPU worker when there is an adapter (a
 * hardware one is expected to be the fast worker; a fallback adapter is
 * still tried, and parking measures whether it helps), and a WASM worker
 * per logical core.
 */
export function resolveWorkers(spec: WorkerSpec, found: { webgpu: boolean; cores: number }): WorkerGroup[] {
  if (spec !== 'auto') return spec.map((g) => ({ ...g }));
  const wasm = Math.max(1, Math.min(MAX_WORKERS - (found.webgpu ? 1 : 0), Math.floor(found.cores) || 1));
  return [...(found.webgpu ? [{ backend: 'webgpu' as const, count: 1 }] : []), { backend: 'wasm', count: wasm }];
}

/** Accepts {webgpu: 128}, or "webgpu:128,wasm:32", or "" / "none" for none. */
export const batchSizes: Check<BatchSizes> = (key, value) => {
  const allowed = `backend:size pairs like "webgpu:128,wasm:32" (backends ${BACKENDS.join(', ')}; sizes 1-4096), or none`;
  let entries: [string, unknown][];
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '' || t === 'none') return {};
    entries = t.split(',').map((part) => {
      const m = /^\s*([a-z]+)\s*:\s*(\d+)\s*$/.exec(part);
      if (!m) throw new ConfigError(key, value, allowed);
      return [m[1] ?? '', Number(m[2])];
    });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else throw new ConfigError(key, value, allowed);
  const out: BatchSizes = {};
  for (const [backend, size] of entries) {
    if (!(BACKENDS as readonly string[]).includes(backend) || backend in out) throw new ConfigError(key, value, allowed);
    out[backend as BackendName] = integer(1, 4096)(`${key}.${backend}`, size);
  }
  return out;
};

export function formatBatchSizes(sizes: BatchSizes): string {
  const parts = BACKENDS.flatMap((b) => (sizes[b] === undefined ? [] : [`${b}:${sizes[b]}`]));
  return parts.length > 0 ? parts.join(',') : 'none';
}

/** The batch size of a worker on `backend` (the one it runs, after any fallback). */
export function batchSizeOf(config: { batchSize: number; batchSizeByBackend: BatchSizes }, backend: BackendName): number {
  return config.batchSizeByBackend[backend] ?? config.batchSize;
}
