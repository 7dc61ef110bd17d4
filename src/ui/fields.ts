/**
 * One control per config key: its label, kind, range hints and group. Pure
 * data (no DOM). Mapped over RunConfig, so a new config key cannot be left
 * without a control; a test checks that each control's accessible name
 * contains its key, as the README's config table spells it.
 */
import {
  AGGREGATION_MODES,
  ALGOS,
  AUGMENTATION_MODES,
  BACKENDS,
  BIAS_DIRECTIONS,
  BIAS_POOLS,
  FALLBACK_POLICIES,
  LR_SCALINGS,
  MAX_WORKERS,
  PARKING_POLICIES,
  SLOW_WORKER_POLICIES,
  MODELS,
  TEST_SIZE,
  type BackendName,
  type RunConfig,
} from '../core/config';
import { DATASET_KINDS } from '../core/dataset-spec';

/** `text`: free text the validator parses (lists, dataset specs); `workers`: an Auto checkbox and one spinbutton per backend. */
export type FieldKind = 'select' | 'integer' | 'real' | 'checkbox' | 'text' | 'workers';

export type GroupId = 'data' | 'pool' | 'algorithm' | 'biased' | 'optimizer' | 'length' | 'advanced';

export interface FieldSpec {
  key: keyof RunConfig;
  /** Visible text; the accessible name is `${label} (${key})`. */
  label: string;
  kind: FieldKind;
  group: GroupId;
  options?: readonly string[];
  /** Suggestions for a text field (a datalist); any text the validator accepts goes. */
  suggestions?: readonly string[];
  /** Hints for the browser's spinbutton; the validator in core/config decides. */
  min?: number;
  max?: number;
  /** An empty input means null (no limit). */
  nullable?: boolean;
  hint?: string;
  /** `text`: shown only while the dataset is text (the transformer's settings). */
  only?: 'text';
}

export const GROUPS: readonly { id: GroupId; legend: string; note?: string }[] = [
  { id: 'data', legend: 'Data and model' },
  {
    id: 'pool',
    legend: 'Worker pool',
    note: 'Auto: what this machine has, measured by parking; or how many workers of each backend, 1 to 8 in all.',
  },
  { id: 'algorithm', legend: 'Algorithm' },
  { id: 'biased', legend: 'Biased local SGD', note: 'Used when algo is biased.' },
  { id: 'optimizer', legend: 'Optimizer and learning-rate schedule' },
  { id: 'length', legend: 'Run length and seed', note: 'The run stops at the first limit reached.' },
  { id: 'advanced', legend: 'Evaluation, profiling, checkpoints, fallback' },
];

type Spec = Omit<FieldSpec, 'key'>;

/** In display order within each group. */
const SPECS: { [K in keyof RunConfig]: Spec } = {
  dataset: {
    label: 'Dataset',
    kind: 'text',
    group: 'data',
    // Tandem cannot ship CIFAR-10: the page adds cifar10 here only when its files are served (cifar10Present).
    suggestions: DATASET_KINDS.filter((k) => k === 'fashion-mnist' || k === 'mnist' || k === 'moby-dick'),
    hint:
      'fashion-mnist, mnist, cifar10, cifar10:LOCATION or idx:LOCATION; text: moby-dick or text:FILE; ' +
      'or your own files, picked with Dataset files. A text dataset switches the model to transformer, an image dataset back to cnn.',
  },
  model: { label: 'Model', kind: 'select', group: 'data', options: MODELS, hint: 'transformer: for text (moby-dick, text:FILE); the others for images.' },
  contextLength: {
    label: 'Context (characters)',
    kind: 'integer',
    group: 'data',
    min: 8,
    max: 512,
    only: 'text',
    hint: 'Text: characters a sample holds; the model predicts the next at each.',
  },
  layers: { label: 'Transformer blocks', kind: 'integer', group: 'advanced', min: 1, max: 12, only: 'text' },
  dModel: { label: 'Transformer width (dModel)', kind: 'integer', group: 'advanced', min: 8, max: 512, only: 'text' },
  heads: { label: 'Attention heads', kind: 'integer', group: 'advanced', min: 1, max: 16, only: 'text', hint: 'Must divide dModel.' },
  mlpWidth: { label: 'Transformer MLP width', kind: 'integer', group: 'advanced', min: 8, max: 4096, only: 'text' },
  augmentation: {
    label: 'Augmentation',
    kind: 'select',
    group: 'data',
    options: AUGMENTATION_MODES,
    hint: 'auto: random crop and flip for colour images only.',
  },
  workers: { label: 'Worker pool', kind: 'workers', group: 'pool' },
  slowdown: {
    label: 'Emulated slowdown',
    kind: 'text',
    group: 'pool',
    hint: 'worker:factor[@fromRound], e.g. 1:8 makes worker 1 eight times slower. Empty: none.',
  },
  algo: { label: 'Algorithm', kind: 'select', group: 'algorithm', options: ALGOS },
  tauFast: {
    label: 'tau_F',
    kind: 'integer',
    group: 'algorithm',
    min: 1,
    max: 4096,
    hint: 'Local steps of the fastest worker per round; the others get tau_i in proportion to their speed.',
  },
  adaptiveBudgets: {
    label: 'Adaptive budgets',
    kind: 'checkbox',
    group: 'algorithm',
    hint: 'Re-measure step times every round and update tau_i.',
  },
  unbalancedSteps: { label: 'Unbalanced steps', kind: 'checkbox', group: 'biased' },
  biasedSampling: { label: 'Biased sampling', kind: 'checkbox', group: 'biased' },
  lambda: { label: 'lambda, high-loss ratio', kind: 'real', group: 'biased', min: 0, max: 1, hint: 'In (0, 1]; 1 means no bias.' },
  biasDirection: { label: 'Bias direction', kind: 'select', group: 'biased', options: BIAS_DIRECTIONS },
  resampleEvery: {
    label: 'Resample every N rounds',
    kind: 'integer',
    group: 'biased',
    min: 0,
    max: 1_000_000,
    hint: 'Rebuild the shards, and the high-loss selection with them, every N rounds; 0: once per pass over the data (the paper).',
  },
  biasPool: {
    label: 'High-loss pool',
    kind: 'select',
    group: 'biased',
    options: BIAS_POOLS,
    hint: 'seen: drawn from samples with a recorded loss, so the bias engages after round 1; all: uniform over the set, unseen first (the paper).',
  },
  weightedAggregation: { label: 'Weighted aggregation', kind: 'checkbox', group: 'biased' },
  aggregation: { label: 'Aggregation weights', kind: 'select', group: 'biased', options: AGGREGATION_MODES },
  slowWorkers: {
    label: 'Slower than a round',
    kind: 'select',
    group: 'pool',
    options: SLOW_WORKER_POLICIES,
    hint: 'A worker whose one step outlasts the others\' round: fill, the round lasts its step and the others step until it is done (workers of 8 or more steps do so beside any of fewer; their fixed steps under fixed budgets); fill-steps, they take the steps their step times fit into it; wait, they wait for it.',
  },
  parking: {
    label: 'Parking',
    kind: 'select',
    group: 'pool',
    options: PARKING_POLICIES,
    hint: 'auto: measure the pool with and without each worker and park (keep started, not training) those that slow it; off: every worker trains.',
  },
  poolCheckEvery: {
    label: 'Re-check the pool every N rounds',
    kind: 'integer',
    group: 'pool',
    min: 0,
    max: 1_000_000,
    hint: 'With adaptive budgets and parking on: measure again so a worker that became useful comes back; 0: only when workers join or leave.',
  },
  batchSize: { label: 'Batch size', kind: 'integer', group: 'optimizer', min: 1, max: 4096 },
  batchSizeByBackend: {
    label: 'Batch size by backend',
    kind: 'text',
    group: 'optimizer',
    suggestions: ['none', 'webgpu:128', 'webgpu:128,wasm:32'],
    hint: 'e.g. webgpu:128: a GPU at batch 32 waits on dispatch; the others keep the batch size above. Each worker is profiled at its own.',
  },
  learningRate: { label: 'Learning rate', kind: 'real', group: 'optimizer', min: 0, max: 10 },
  momentum: { label: 'Momentum', kind: 'real', group: 'optimizer', min: 0, max: 0.999 },
  weightDecay: { label: 'Weight decay', kind: 'real', group: 'optimizer', min: 0, max: 1 },
  lrScaling: {
    label: 'LR scaling with K workers',
    kind: 'select',
    group: 'optimizer',
    options: LR_SCALINGS,
    hint: 'Averaging K models acts like a K-times batch: none, x K (linear) or x sqrt(K), for biased, local and sync.',
  },
  lrWarmupRounds: {
    label: 'LR warm-up rounds',
    kind: 'integer',
    group: 'optimizer',
    min: 0,
    max: 100_000,
    hint: 'A scaled learning rate ramps up linearly from the base one over this many rounds.',
  },
  lrDecayEpochs: {
    label: 'LR decay epochs',
    kind: 'text',
    group: 'optimizer',
    hint: 'Epochs at which the learning rate is multiplied by the decay factor, e.g. 60,80. Empty: constant.',
  },
  lrDecayFactor: { label: 'LR decay factor', kind: 'real', group: 'optimizer', min: 0, max: 1 },
  maxRounds: {
    label: 'Max rounds',
    kind: 'integer',
    group: 'length',
    min: 1,
    max: 1_000_000,
    nullable: true,
    hint: 'Empty: no round limit.',
  },
  maxSeconds: { label: 'Time budget, s', kind: 'real', group: 'length', min: 0, max: 86_400 },
  epochs: { label: 'Epochs', kind: 'real', group: 'length', min: 0, max: 100_000, nullable: true, hint: 'Empty: no epoch limit.' },
  targetAccuracy: {
    label: 'Target accuracy',
    kind: 'real',
    group: 'length',
    min: 0,
    max: 1,
    nullable: true,
    hint: 'A fraction, e.g. 0.85. Empty: no target.',
  },
  stopAtTarget: {
    label: 'Stop at target',
    kind: 'checkbox',
    group: 'length',
    hint: 'Off: keep training after the target accuracy is reached (time to target is still recorded).',
  },
  seed: { label: 'Seed', kind: 'integer', group: 'length', min: 0, max: 2 ** 32 - 1 },
  evalEvery: {
    label: 'Evaluate every N rounds',
    kind: 'integer',
    group: 'advanced',
    min: 1,
    max: 10_000,
    nullable: true,
    hint: 'Empty: every round, except while a target is pending, when the time-to-target cadence below decides.',
  },
  evalEverySeconds: {
    label: 'Evaluate every N training seconds',
    kind: 'real',
    group: 'advanced',
    min: 0,
    max: 86_400,
    hint: 'Also evaluate once this much training time has passed since the last evaluation (sync: between steps); 0 = off.',
  },
  targetResolution: {
    label: 'Time-to-target resolution',
    kind: 'real',
    group: 'advanced',
    min: 0,
    max: 1,
    hint: 'While the target is pending, evaluate whenever the training clock has grown by this fraction (local-SGD rounds pause at a step for it), so the time to target is exact to this fraction; 0 = off.',
  },
  targetWindow: {
    label: 'Fine resolution within',
    kind: 'real',
    group: 'advanced',
    min: 0,
    max: 1,
    hint: 'The resolution above applies once the last accuracy is within this much of the target (0.02 = two points); further below it evaluations come three times less often, and a crossing between two of them is narrowed afterwards (see below). 1 = always.',
  },
  targetRefine: {
    label: 'Narrow the crossing afterwards',
    kind: 'checkbox',
    group: 'advanced',
    hint: 'Keep each round’s model until the next evaluation; when the target is confirmed with a wider interval than the resolution asks, evaluate the kept models inside it by bisection.',
  },
  maxEvalShare: {
    label: 'Most of the time spent evaluating',
    kind: 'real',
    group: 'advanced',
    min: 0,
    max: 0.99,
    hint: 'The next evaluation waits until training since the last one is long enough that evaluating stays under this share of the time; 0: no cap.',
  },
  evalSamples: { label: 'Test images per evaluation', kind: 'integer', group: 'advanced', min: 1, max: TEST_SIZE },
  profileSteps: { label: 'Profiling steps', kind: 'integer', group: 'advanced', min: 1, max: 100 },
  warmupSteps: { label: 'Warm-up steps', kind: 'integer', group: 'advanced', min: 0, max: 100 },
  checkpointEvery: {
    label: 'Checkpoint every N rounds',
    kind: 'integer',
    group: 'advanced',
    min: 0,
    max: 1_000_000,
    hint: 'Also at pause and stop; 0: only then.',
  },
  keepSaves: {
    label: 'Saves kept per run',
    kind: 'integer',
    group: 'advanced',
    min: 1,
    max: 100,
    hint: "A new save deletes this run's oldest beyond this many; other runs' saves are never touched.",
  },
  divergenceFactor: {
    label: 'Divergence factor',
    kind: 'real',
    group: 'advanced',
    min: 1,
    max: 1e9,
    hint: 'The run stops as diverged when the round loss exceeds this multiple of the best loss so far.',
  },
  fallback: { label: 'Backend fallback', kind: 'select', group: 'advanced', options: FALLBACK_POLICIES },
};

export const FIELDS: readonly FieldSpec[] = (Object.keys(SPECS) as (keyof RunConfig)[]).map((key) => ({ key, ...SPECS[key] }));

export function accessibleName(field: Pick<FieldSpec, 'label' | 'key'>): string {
  return `${field.label} (${field.key})`;
}

/** The worker pool is one key shown as one spinbutton per backend. */
export const POOL_BACKENDS: readonly BackendName[] = BACKENDS;
export const POOL_MAX = MAX_WORKERS;

export function poolFieldName(backend: BackendName): string {
  return `${backend} workers (workers)`;
}

/** The checkbox that sets `workers` to `auto`; its label text, and with the key the accessible name. */
export const POOL_AUTO_LABEL = 'Auto pool';

export function poolAutoName(): string {
  return `${POOL_AUTO_LABEL} (workers)`;
}
