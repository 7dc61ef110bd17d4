/**
 * How a config value is written as text, the one way the form's controls,
 * URL parameters, flags and sweep ids all write it: `wasm:2` for a pool,
 * `1:4@10` for a slowdown, `webgpu:128` for batch sizes, `60,80` for a list;
 * `empty` for null and for an empty list or map.
 */
import { formatBatchSizes, formatSlowdown, formatWorkerSpec, type RunConfig } from './config';

export function formatConfigValue<K extends keyof RunConfig>(key: K, value: RunConfig[K], empty: string): string {
  if (value === null) return empty;
  if (key === 'batchSizeByBackend') {
    const sizes = value as RunConfig['batchSizeByBackend'];
    return Object.keys(sizes).length === 0 ? empty : formatBatchSizes(sizes);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return empty;
    if (key === 'workers') return formatWorkerSpec(value as RunConfig['workers']);
    if (key === 'slowdown') return formatSlowdown(value as RunConfig['slowdown']);
    return value.join(',');
  }
  return String(value);
}
