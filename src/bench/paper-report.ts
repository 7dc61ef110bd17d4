/** The paper suite's results and their Markdown report. Pure: tested from hand-made results. */
import type { RunConfig } from '../core/config';
import { percent, seconds } from '../core/format';
import type { EnvironmentInfo, RunResult } from '../protocol';
import type { ExperimentName } from './paper-suite';
import { describeAdapter } from './report';

export interface VariantResult {
  label: string;
  config: Partial<RunConfig>;
  result: RunResult | null;
  failure: string | null;
}

export interface ExperimentResult {
  name: ExperimentName;
  title: string;
  description: string;
  variants: VariantResult[];
  /** PNG file names beside the report. */
  plots: { accuracy: string; busy: string };
}

export interface SuiteResults {
  startedAt: string;
  command: string;
  base: RunConfig;
  environment: EnvironmentInfo;
  experiments: ExperimentResult[];
}

function row(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

function workersCell(r: RunResult): string {
  return r.workers
    .map((w) => {
      const share = w.busyMs + w.idleMs > 0 ? Math.round((100 * w.busyMs) / (w.busyMs + w.idleMs)) : 0;
      const emulated = w.slowdown > 1 ? ` (x${w.slowdown} emulated; measured ${w.measuredStepMs.toFixed(1)} ms)` : '';
      return `${w.id} ${w.backend}: tau ${w.tau}, ${w.stepMs.toFixed(1)} ms/step${emulated}, busy ${share}%`;
    })
    .join('<br>');
}

export function experimentTable(e: ExperimentResult, target: number | null): string {
  const header = row(['variant', `time to ${percent(target, 2, 'target')}`, 'final accuracy', 'rounds', 'epochs', 'train time', 'workers']);
  const rule = row(['---', '---:', '---:', '---:', '---:', '---:', '---']);
  const rows = e.variants.map((v) => {
    const r = v.result;
    if (!r) return row([v.label, 'failed', '–', '–', '–', '–', v.failure ?? 'no result']);
    return row([
      v.label + (r.emulated ? ' *' : ''),
      seconds(r.timeToTargetMs, 1, 'not reached'),
      percent(r.finalAccuracy, 2),
      String(r.rounds),
      (r.rounds / r.roundsPerEpoch).toFixed(2),
      seconds(r.trainMs),
      workersCell(r),
    ]);
  });
  return [header, rule, ...rows].join('\n');
}

export function suiteMarkdown(s: SuiteResults): string {
  const env = s.environment;
  const parts = [
    '# Tandem: the paper\'s experiments',
    '',
    `Run ${s.startedAt} with \`${s.command}\`.`,
    '',
    `- Browser: ${env.userAgent}`,
    `- WebGPU adapter: ${describeAdapter(env)}`,
    `- Cross-origin isolated: ${env.crossOriginIsolated ? 'yes' : 'no'}; WASM SIMD: ${env.wasmSimd ? 'yes' : 'no'}; cores: ${env.hardwareConcurrency}`,
    `- Base config: dataset ${s.base.dataset}, model ${s.base.model}, workers ${s.base.workers.map((g) => `${g.backend}:${g.count}`).join(',')}, ` +
      `tau_F ${s.base.tauFast}, batch ${s.base.batchSize}, lr ${s.base.learningRate}, lambda ${s.base.lambda}, seed ${s.base.seed}, ` +
      `time limit ${s.base.maxSeconds} s per run`,
    '',
    'Time is the training clock (evaluation excluded). Rows marked * used emulated slowdown: the worker sleeps after each step ' +
      'so that the step takes k times its measured time; the measured time is given beside it.',
  ];
  for (const e of s.experiments) {
    parts.push(
      '',
      `## ${e.title}`,
      '',
      e.description,
      '',
      experimentTable(e, s.base.targetAccuracy),
      '',
      `![accuracy against training time](${e.plots.accuracy}) ![busy and idle time per worker](${e.plots.busy})`,
    );
  }
  return `${parts.join('\n')}\n`;
}
