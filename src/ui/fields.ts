/**
 * One control per config key: its label, kind, range hints and group. Pure
 * data (no DOM) so a test can check that every key has exactly one control
 * and that each control's accessible name contains its key, as the README's
 * config table spells it.
 */
import {
  AGGREGATION_MODES,
  ALGOS,
  BACKENDS,
  BIAS_DIRECTIONS,
  FALLBACK_POLICIES,
  MAX_WORKERS,
  TEST_SIZE,
  type BackendName,
  type RunConfig,
} from '../core/config';

export type FieldKind = 'select' | 'integer' | 'real' | 'checkbox' | 'workers';

export type GroupId = 'pool' | 'algorithm' | 'biased' | 'optimizer' | 'length' | 'advanced';

export interface FieldSpec {
  key: keyof RunConfig;
  /** Visible text; the accessible name is `${label} (${key})`. */
  label: string;
  kind: FieldKind;
  group: GroupId;
  options?: readonly string[];
  /** Hints for the browser's spinbutton; the validator in core/config decides. */
  min?: number;
  max?: number;
  /** An empty input means null (no limit). */
  nullable?: boolean;
  hint?: string;
}

export const GROUPS: readonly { id: GroupId; legend: string; note?: string }[] = [
  { id: 'pool', legend: 'Worker pool', note: 'How many workers of each backend; 1 to 8 in all.' },
  { id: 'algorithm', legend: 'Algorithm' },
  { id: 'biased', legend: 'Biased local SGD', note: 'Used when algo is biased.' },
  { id: 'optimizer', legend: 'Optimizer' },
  { id: 'length', legend: 'Run length and seed', note: 'The run stops at the first limit reached.' },
  { id: 'advanced', legend: 'Evaluation, profiling, fallback' },
];

export const FIELDS: readonly FieldSpec[] = [
  { key: 'workers', label: 'Worker pool', kind: 'workers', group: 'pool' },
  { key: 'algo', label: 'Algorithm', kind: 'select', group: 'algorithm', options: ALGOS },
  {
    key: 'tauFast',
    label: 'tau_F',
    kind: 'integer',
    group: 'algorithm',
    min: 1,
    max: 4096,
    hint: 'Local steps of the fastest worker per round; the others get tau_i in proportion to their speed.',
  },
  {
    key: 'adaptiveBudgets',
    label: 'Adaptive budgets',
    kind: 'checkbox',
    group: 'algorithm',
    hint: 'Re-measure step times every round and update tau_i.',
  },
  { key: 'unbalancedSteps', label: 'Unbalanced steps', kind: 'checkbox', group: 'biased' },
  { key: 'biasedSampling', label: 'Biased sampling', kind: 'checkbox', group: 'biased' },
  {
    key: 'lambda',
    label: 'lambda, high-loss ratio',
    kind: 'real',
    group: 'biased',
    min: 0,
    max: 1,
    hint: 'In (0, 1]; 1 means no bias.',
  },
  { key: 'biasDirection', label: 'Bias direction', kind: 'select', group: 'biased', options: BIAS_DIRECTIONS },
  { key: 'weightedAggregation', label: 'Weighted aggregation', kind: 'checkbox', group: 'biased' },
  { key: 'aggregation', label: 'Aggregation weights', kind: 'select', group: 'biased', options: AGGREGATION_MODES },
  { key: 'batchSize', label: 'Batch size', kind: 'integer', group: 'optimizer', min: 1, max: 4096 },
  { key: 'learningRate', label: 'Learning rate', kind: 'real', group: 'optimizer', min: 0, max: 10 },
  { key: 'momentum', label: 'Momentum', kind: 'real', group: 'optimizer', min: 0, max: 0.999 },
  { key: 'weightDecay', label: 'Weight decay', kind: 'real', group: 'optimizer', min: 0, max: 1 },
  {
    key: 'maxRounds',
    label: 'Max rounds',
    kind: 'integer',
    group: 'length',
    min: 1,
    max: 1_000_000,
    nullable: true,
    hint: 'Empty: no round limit.',
  },
  { key: 'maxSeconds', label: 'Time budget, s', kind: 'real', group: 'length', min: 0, max: 86_400 },
  {
    key: 'targetAccuracy',
    label: 'Target accuracy',
    kind: 'real',
    group: 'length',
    min: 0,
    max: 1,
    nullable: true,
    hint: 'A fraction, e.g. 0.85. Empty: no target.',
  },
  { key: 'seed', label: 'Seed', kind: 'integer', group: 'length', min: 0, max: 2 ** 32 - 1 },
  { key: 'evalEvery', label: 'Evaluate every N rounds', kind: 'integer', group: 'advanced', min: 1, max: 10_000 },
  { key: 'evalSamples', label: 'Test images per evaluation', kind: 'integer', group: 'advanced', min: 1, max: TEST_SIZE },
  { key: 'profileSteps', label: 'Profiling steps', kind: 'integer', group: 'advanced', min: 1, max: 100 },
  { key: 'warmupSteps', label: 'Warm-up steps', kind: 'integer', group: 'advanced', min: 0, max: 100 },
  { key: 'fallback', label: 'Backend fallback', kind: 'select', group: 'advanced', options: FALLBACK_POLICIES },
];

export function accessibleName(field: Pick<FieldSpec, 'label' | 'key'>): string {
  return `${field.label} (${field.key})`;
}

/** The worker pool is one key shown as one spinbutton per backend. */
export const POOL_BACKENDS: readonly BackendName[] = BACKENDS;
export const POOL_MAX = MAX_WORKERS;

export function poolFieldName(backend: BackendName): string {
  return `${backend} workers (workers)`;
}

/** The field a ConfigError belongs to: `workers[1].count` belongs to `workers`. */
export function fieldKeyOf(errorKey: string): string {
  return errorKey.split(/[[.]/)[0] ?? errorKey;
}
