/**
 * The run config as URL query parameters, one per config key
 * (`?algo=sync&workers=webgpu:1,wasm:2&tauFast=16&targetAccuracy=none`, or
 * `workers=auto`), so a pasted URL reproduces a setup. Pure (no DOM), so
 * Node tests cover it.
 */
import { CONFIG_KEYS, ConfigError, DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import { formatValue } from './fields';

/** How an absent limit (no target accuracy, no round limit) is written; `null` is read too. */
export const URL_NULL = 'none';

export interface UrlConfig {
  /** Always valid: every bad or unknown parameter is left at `base`'s value. */
  config: RunConfig;
  /** One per parameter that was refused, naming it. */
  errors: ConfigError[];
}

function isConfigKey(name: string): name is keyof RunConfig {
  return (CONFIG_KEYS as string[]).includes(name);
}

/**
 * Turns a parameter's text into the value the validator expects. Text that
 * is not of the key's type is passed on as text, so the validator's error
 * quotes exactly what was in the URL.
 */
function fromText(key: keyof RunConfig, text: string): unknown {
  const t = text.trim();
  const standard: unknown = DEFAULT_CONFIG[key];
  // Lists (slowdown, lrDecayEpochs) are parsed by the validator, which reads `none` as empty.
  if (Array.isArray(standard)) return t;
  // So are maps (batchSizeByBackend: `webgpu:128`, or `none`).
  if (typeof standard === 'object' && standard !== null) return t;
  // Before `none` means null: a text key may take `none` as a value of its own (lrScaling). workers
  // (`auto` or a list like `webgpu:1,wasm:2`) goes here too, its default being `auto`.
  if (typeof standard === 'string') return t;
  if (t === URL_NULL || t === 'null') return null;
  if (typeof standard === 'boolean') return t === 'true' ? true : t === 'false' ? false : t;
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

/** Reads a query string (with or without the leading `?`) over `base`; each parameter is checked on its own. */
export function parseUrlConfig(search: string, base: Readonly<RunConfig> = DEFAULT_CONFIG): UrlConfig {
  const errors: ConfigError[] = [];
  let config = validateConfig({}, base);
  const seen = new Set<string>();
  for (const [name, text] of new URLSearchParams(search)) {
    if (!isConfigKey(name)) {
      errors.push(new ConfigError(name, text, `a config key (${CONFIG_KEYS.join(', ')})`));
      continue;
    }
    if (seen.has(name)) {
      errors.push(new ConfigError(name, text, 'one value per parameter (the first one is used)'));
      continue;
    }
    seen.add(name);
    try {
      config = validateConfig({ [name]: fromText(name, text) }, config);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push(e);
    }
  }
  return { config, errors };
}

/**
 * The whole config as a query string (no `?`), every key in CONFIG_KEYS
 * order: a shared link keeps meaning the same run even if defaults change.
 * `:`, `,`, `@` and `/` stay readable; URLSearchParams accepts them as they are.
 */
export function formatUrlConfig(config: Readonly<RunConfig>): string {
  return CONFIG_KEYS.map((key) => {
    const text = encodeURIComponent(formatValue(key, config[key], URL_NULL)).replace(/%(3A|2C|40|2F)/gi, (c) => decodeURIComponent(c));
    return `${key}=${text}`;
  }).join('&');
}
