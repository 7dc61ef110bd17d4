/**
 * The run config as URL query parameters, one per config key
 * (`?algo=sync&workers=webgpu:1,wasm:2&tauFast=16&targetAccuracy=none`, or
 * `workers=auto`), so a pasted URL reproduces a setup. Pure (no DOM), so
 * Node tests cover it.
 */
import { CONFIG_KEYS, ConfigError, DEFAULT_CONFIG, validateConfig, type RunConfig } from './config';
import { DECIMAL_SYNTAX, fieldKeyOf, parseDecimal, showValue } from './config-checks';
import { withModelForDataset } from './config-rules';
import { formatConfigValue } from './config-text';
import { clip } from './errors';

/** How an absent limit (no target accuracy, no round limit) is written; `null` is read too. */
export const URL_NULL = 'none';

export interface UrlConfig {
  /** Always valid: every bad or unknown parameter is left at `base`'s value. */
  config: RunConfig;
  /** One per parameter that was refused, naming it. */
  errors: ConfigError[];
}

/**
 * A list lookup, not `name in DEFAULT_CONFIG`: `__proto__`, `constructor` and
 * `toString` are in every object and are no settings.
 */
function isConfigKey(name: string): name is keyof RunConfig {
  return (CONFIG_KEYS as string[]).includes(name);
}

/** `allowed` of the errors for a parameter that is no setting, or is given twice; urlErrorText tells them apart by these. */
const UNKNOWN = `a config key (${CONFIG_KEYS.join(', ')})`;
const REPEATED = 'one value per parameter (the first one is used)';

/**
 * Turns a parameter's text into the value the validator expects. Text that
 * is not of the key's type is passed on as text, so the validator's error
 * quotes exactly what was in the URL. A number is read as a flag's is
 * (parseDecimal); text that is not one is refused here, naming that rule.
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
  // A number, or null (epochs, targetAccuracy, maxRounds: null by default, a number when set).
  const n = parseDecimal(t);
  if (n === null) throw new ConfigError(key, text, standard === null ? `${DECIMAL_SYNTAX}, or ${URL_NULL}` : DECIMAL_SYNTAX);
  return n;
}

/**
 * Reads a query string (with or without the leading `?`) over `base`; each
 * parameter is checked on its own. The dataset is read first wherever it
 * stands, and the model follows it as on the page (withModelForDataset):
 * `model=transformer&dataset=moby-dick` is the valid pair it names, and
 * `dataset=moby-dick&model=cnn` keeps the dataset and refuses the model.
 * Errors are listed in the URL's order. Parameters named in `others` belong
 * to another part of the page (the sweep's, SWEEP_PARAMS) and are skipped
 * here, neither read nor refused.
 */
export function parseUrlConfig(search: string, base: Readonly<RunConfig> = DEFAULT_CONFIG, others: readonly string[] = []): UrlConfig {
  const errors: { at: number; error: ConfigError }[] = [];
  let config = validateConfig({}, base);
  const seen = new Set<string>();
  const params = [...new URLSearchParams(search)].map(([name, text], at) => ({ name, text, at }));
  const dataset = params.find((p) => p.name === 'dataset');
  const ordered = dataset ? [dataset, ...params.filter((p) => p !== dataset)] : params;
  for (const { name, text, at } of ordered) {
    if (others.includes(name)) continue;
    if (!isConfigKey(name)) {
      errors.push({ at, error: new ConfigError(name, text, UNKNOWN, `Ignored: unknown setting ${clip(name)}.`) });
      continue;
    }
    if (seen.has(name)) {
      errors.push({
        at,
        error: new ConfigError(name, text, REPEATED, `Ignored: ${name}=${clip(text)}; ${name} is given more than once and the first value is used.`),
      });
      continue;
    }
    seen.add(name);
    try {
      config = withParameter(name, text, config);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push({ at, error: e });
    }
  }
  return { config, errors: errors.sort((a, b) => a.at - b.at).map((e) => e.error) };
}

/**
 * `config` with `key` set from its URL text, checked as every URL parameter
 * is. The ConfigError names `key` even when a rule across settings refused
 * it: `dModel=9` breaks heads 4, and the parameter refused is dModel.
 */
function withParameter(key: keyof RunConfig, text: string, config: Readonly<RunConfig>): RunConfig {
  let value: unknown = text;
  try {
    value = fromText(key, text);
    const partial = key === 'dataset' && typeof value === 'string' ? withModelForDataset({ dataset: value }, config) : { [key]: value };
    return validateConfig(partial, config);
  } catch (e) {
    if (!(e instanceof ConfigError) || fieldKeyOf(e.key) === key) throw e;
    throw new ConfigError(key, value, e.allowed, `Invalid ${key}: ${showValue(value)}. With it, ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`);
  }
}

/**
 * One value of `key` read from text exactly as its URL parameter is read
 * over `base` (a sweep's values, in the URL and in the Sweep panel); throws
 * a ConfigError naming `key`, the value and what is allowed.
 */
export function readConfigText<K extends keyof RunConfig>(key: K, text: string, base: Readonly<RunConfig> = DEFAULT_CONFIG): RunConfig[K] {
  return withParameter(key, text, base)[key];
}

/**
 * What the page says about one refused parameter: the error, and for a
 * setting whose value was refused, the value used instead: `base`'s, as
 * parseUrlConfig keeps it, or, given the config the URL gave (`used`), the
 * value there when it differs (a model that follows the linked dataset). An
 * unknown or repeated parameter says Ignored and nothing more.
 */
export function urlErrorText(error: ConfigError, base: Readonly<RunConfig> = DEFAULT_CONFIG, used?: Readonly<RunConfig>): string {
  if (error.allowed === UNKNOWN || error.allowed === REPEATED) return error.message;
  // `workers[0].count` is the workers setting.
  const key = fieldKeyOf(error.key);
  if (!isConfigKey(key)) return error.message;
  const kept = formatConfigValue(key, base[key], URL_NULL);
  const now = used ? formatConfigValue(key, used[key], URL_NULL) : kept;
  if (now !== kept) return `${error.message} Using ${now}${key === 'model' ? `, the model for the dataset ${used?.dataset ?? ''}` : ''}.`;
  return `${error.message} Using ${base === DEFAULT_CONFIG ? 'the default' : 'the previous value'}, ${kept}.`;
}

/**
 * `text` encoded for a query value with `:`, `,`, `@` and `/` left readable
 * (URLSearchParams accepts them as they are), and `=` and `;` too with
 * `equalsAndSemicolons` (inside a sweep parameter's value).
 */
export function urlText(text: string, equalsAndSemicolons = false): string {
  const readable = equalsAndSemicolons ? /%(3A|2C|40|2F|3D|3B)/gi : /%(3A|2C|40|2F)/gi;
  return encodeURIComponent(text).replace(readable, (c) => decodeURIComponent(c));
}

/**
 * The whole config as a query string (no `?`), every key in CONFIG_KEYS
 * order: a shared link keeps meaning the same run even if defaults change.
 */
export function formatUrlConfig(config: Readonly<RunConfig>): string {
  return CONFIG_KEYS.map((key) => `${key}=${urlText(formatConfigValue(key, config[key], URL_NULL))}`).join('&');
}
