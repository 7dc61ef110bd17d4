/**
 * The trainer page: machine panel, run controls, live round table and worker
 * list. DOM only; it learns about training solely from the engine's events.
 */
import {
  ALGOS,
  BIAS_DIRECTIONS,
  AGGREGATION_MODES,
  ConfigError,
  DEFAULT_CONFIG,
  formatWorkerSpec,
  validateConfig,
  type RunConfig,
} from '../core/config';
import { ISOLATION_HEADER_NAMES, type Capabilities } from '../backends/capabilities';
import type { Orchestrator } from '../orchestrator/orchestrator';
import type { EngineEvent, RoundEvent, WorkerInfo } from '../protocol';

type FieldKind = 'number' | 'text' | 'select' | 'checkbox';

interface Field {
  key: keyof RunConfig;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  step?: string;
  /** Optional value: an empty input means null. */
  nullable?: boolean;
}

const FIELDS: Field[] = [
  { key: 'algo', label: 'Algorithm', kind: 'select', options: ALGOS },
  { key: 'workers', label: 'Workers', kind: 'text' },
  { key: 'tauFast', label: 'tau_F (fast worker steps per round)', kind: 'number', step: '1' },
  { key: 'lambda', label: 'lambda (high-loss ratio)', kind: 'number', step: '0.05' },
  { key: 'biasDirection', label: 'Bias direction', kind: 'select', options: BIAS_DIRECTIONS },
  { key: 'aggregation', label: 'Aggregation weights', kind: 'select', options: AGGREGATION_MODES },
  { key: 'adaptiveBudgets', label: 'Adaptive budgets', kind: 'checkbox' },
  { key: 'batchSize', label: 'Batch size', kind: 'number', step: '1' },
  { key: 'learningRate', label: 'Learning rate', kind: 'number', step: '0.01' },
  { key: 'targetAccuracy', label: 'Target accuracy', kind: 'number', step: '0.01', nullable: true },
  { key: 'maxSeconds', label: 'Time budget (s)', kind: 'number', step: '1' },
  { key: 'seed', label: 'Seed', kind: 'number', step: '1' },
];

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function mountPage(
  root: HTMLElement,
  engine: Orchestrator,
  ready: Promise<void>,
  capabilities: Promise<Readonly<Capabilities>>,
): void {
  root.replaceChildren();
  const machine = el('section', { class: 'panel', 'aria-labelledby': 'machine-h' }, [el('h2', { id: 'machine-h' }, ['This machine'])]);
  const machineList = el('dl', { id: 'machine' });
  machine.append(machineList);

  const form = el('form', { class: 'panel', 'aria-labelledby': 'config-h', novalidate: '' }, [el('h2', { id: 'config-h' }, ['Run'])]);
  const inputs = new Map<keyof RunConfig, HTMLInputElement | HTMLSelectElement>();
  for (const f of FIELDS) {
    const id = `cfg-${f.key}`;
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.kind === 'select') {
      input = el('select', { id, name: f.key }, (f.options ?? []).map((o) => el('option', { value: o }, [o])));
    } else {
      input = el('input', { id, name: f.key, type: f.kind === 'checkbox' ? 'checkbox' : f.kind, ...(f.step ? { step: f.step } : {}) });
    }
    inputs.set(f.key, input);
    form.append(el('div', { class: `field field-${f.kind}` }, [el('label', { for: id }, [f.label]), input]));
  }
  const error = el('p', { id: 'config-error', class: 'error', role: 'alert' });
  const start = el('button', { type: 'submit' }, ['Start']);
  const stop = el('button', { type: 'button', disabled: '' }, ['Stop']);
  form.append(error, el('div', { class: 'buttons' }, [start, stop]));

  const status = el('p', { id: 'status', role: 'status' }, ['Loading the dataset…']);
  const live = el('section', { class: 'panel wide', 'aria-labelledby': 'live-h' }, [
    el('h2', { id: 'live-h' }, ['Training']),
    status,
  ]);
  const accuracy = el('p', { id: 'accuracy', class: 'big' }, ['Test accuracy: –']);
  const workerTable = el('table', { id: 'workers', 'aria-label': 'Workers' });
  const roundTable = el('table', { id: 'rounds', 'aria-label': 'Rounds' });
  live.append(accuracy, workerTable, roundTable);
  root.append(machine, form, live);

  setForm(DEFAULT_CONFIG);

  function setForm(config: RunConfig): void {
    for (const f of FIELDS) {
      const input = inputs.get(f.key);
      if (!input) continue;
      const value = config[f.key];
      if (input instanceof HTMLInputElement && f.kind === 'checkbox') input.checked = Boolean(value);
      else if (f.key === 'workers') input.value = formatWorkerSpec(config.workers);
      else input.value = value === null ? '' : String(value);
    }
  }

  function readForm(): RunConfig {
    const raw: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const input = inputs.get(f.key);
      if (!input) continue;
      if (f.kind === 'checkbox') raw[f.key] = (input as HTMLInputElement).checked;
      else if (f.kind === 'number') {
        const text = input.value.trim();
        raw[f.key] = text === '' && f.nullable ? null : text === '' ? Number.NaN : Number(text);
      } else raw[f.key] = input.value;
    }
    return validateConfig(raw);
  }

  function checkForm(): RunConfig | null {
    for (const input of inputs.values()) input.removeAttribute('aria-invalid');
    try {
      const config = readForm();
      error.textContent = '';
      return config;
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
      if (e instanceof ConfigError) inputs.get(e.key.split('[')[0] as keyof RunConfig)?.setAttribute('aria-invalid', 'true');
      return null;
    }
  }

  const running = () => ['starting', 'profiling', 'training', 'stopping'].includes(engine.phase());
  const refreshButtons = () => {
    const busy = running();
    start.disabled = busy || checkForm() === null;
    stop.disabled = !busy;
  };
  form.addEventListener('input', refreshButtons);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const config = checkForm();
    if (!config || running()) return;
    roundTable.replaceChildren();
    engine.run(config).catch((err: unknown) => {
      status.textContent = `Run failed: ${err instanceof Error ? err.message : String(err)}`;
      refreshButtons();
    });
    refreshButtons();
  });
  stop.addEventListener('click', () => engine.stop());

  engine.on((event: EngineEvent) => {
    switch (event.type) {
      case 'phase':
        status.textContent = event.message;
        refreshButtons();
        break;
      case 'workers':
        renderWorkers(workerTable, event.workers);
        break;
      case 'round':
        renderRound(roundTable, event.event);
        if (event.event.accuracy !== null) accuracy.textContent = `Test accuracy: ${pct(event.event.accuracy)}`;
        break;
      case 'log':
        status.textContent = event.message;
        break;
      case 'done':
        status.textContent =
          `Done (${event.result.stoppedBy}) after ${event.result.rounds} rounds, ${secs(event.result.trainMs)} of training; ` +
          `final test accuracy ${pct(event.result.finalAccuracy)}.`;
        refreshButtons();
        break;
      default: {
        const never: never = event;
        void never;
      }
    }
  });

  void capabilities.then((caps) => renderMachine(machineList, caps));
  start.disabled = true;
  ready.then(
    () => {
      status.textContent = 'Ready. Choose a configuration and press Start.';
      refreshButtons();
    },
    (e: unknown) => {
      status.textContent = e instanceof Error ? e.message : String(e);
      status.classList.add('error');
      start.disabled = true;
    },
  );
}

function renderMachine(list: HTMLElement, caps: Readonly<Capabilities>): void {
  const rows: [string, string, boolean][] = [
    [
      'WebGPU adapter',
      caps.adapter
        ? `${caps.adapter.vendor || 'unknown vendor'} / ${caps.adapter.architecture || 'unknown architecture'}` +
          (caps.adapter.isFallbackAdapter ? ' (software fallback: on this machine the GPU worker is emulated on the CPU and will likely be the slow one)' : '')
        : `none: ${caps.webgpuError ?? 'unknown reason'}. WebGPU workers fall back to WebAssembly.`,
      caps.adapter !== null,
    ],
    [
      'Cross-origin isolated',
      caps.crossOriginIsolated
        ? 'yes'
        : `no: SharedArrayBuffer is unavailable and Tandem cannot run. The server must send ${ISOLATION_HEADER_NAMES.join(' and ')}.`,
      caps.crossOriginIsolated,
    ],
    ['WebAssembly SIMD', caps.wasmSimd ? 'yes' : 'no: WASM workers fall back to the plain JavaScript cpu backend.', caps.wasmSimd],
    ['WebAssembly threads', 'one per worker (several single-threaded workers use the cores better)', true],
    ['CPU cores', String(caps.hardwareConcurrency), true],
  ];
  list.replaceChildren(
    ...rows.flatMap(([k, v, ok]) => [el('dt', {}, [k]), el('dd', { class: ok ? '' : 'error' }, [v])]),
  );
}

function renderWorkers(table: HTMLTableElement, workers: WorkerInfo[]): void {
  const head = el('tr', {}, ['Worker', 'Backend', 'Step (ms)', 'Role', 'Details'].map((h) => el('th', { scope: 'col' }, [h])));
  const rows = workers.map((w) =>
    el('tr', {}, [
      el('td', {}, [String(w.id)]),
      el('td', {}, [w.backend + (w.backend !== w.requested ? ` (asked ${w.requested})` : '')]),
      el('td', {}, [w.stepMs === null ? '–' : w.stepMs.toFixed(1)]),
      el('td', {}, [w.role ?? '–']),
      el('td', {}, [
        w.report.adapter
          ? `${w.report.adapter.vendor} ${w.report.adapter.architecture}`
          : w.report.wasm
            ? `SIMD ${w.report.wasm.simd ? 'on' : 'off'}, ${w.report.wasm.threads} thread`
            : w.report.tfBackend,
      ]),
    ]),
  );
  table.replaceChildren(el('caption', {}, ['Workers (roles come from measured step times)']), head, ...rows);
}

function renderRound(table: HTMLTableElement, e: RoundEvent): void {
  if (!table.querySelector('tr')) {
    table.append(
      el('caption', {}, ['Rounds']),
      el('tr', {}, ['Round', 'Train time', 'Loss', 'Accuracy', 'Steps per worker (tau)', 'Idle per worker'].map((h) => el('th', { scope: 'col' }, [h]))),
    );
  }
  const row = el('tr', {}, [
    el('td', {}, [String(e.round)]),
    el('td', {}, [secs(e.trainMs)]),
    el('td', {}, [e.loss.toFixed(3)]),
    el('td', {}, [pct(e.accuracy)]),
    el('td', {}, [e.workers.map((w) => `${w.backend}:${w.steps}`).join(' ')]),
    el('td', {}, [e.workers.map((w) => `${Math.round((100 * w.idleMs) / Math.max(1, w.busyMs + w.idleMs))}%`).join(' ')]),
  ]);
  const header = table.querySelectorAll('tr')[0];
  header?.after(row);
  const rows = table.querySelectorAll('tr');
  for (let i = 21; i < rows.length; i++) rows[i]?.remove();
}
