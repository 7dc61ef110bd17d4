/**
 * A sweep's report.md: what ran where, one row per (setting, algorithm) with
 * the median and min–max over the seeds on both clocks, each algorithm's
 * best setting marked (the benchmark's rule: the smallest median
 * training-clock time to target among settings every seed reached it with,
 * else the highest median final accuracy), then every trial. Pure: tested
 * from hand-made records.
 */
import { percent, seconds } from '../core/format';
import type { RunResult } from '../run-report';
import { bestValue, type SweepGroup } from '../bench/sweep';
import { finalAccuracyCell, looseNote, trainTimeCell, wallTimeCell } from '../bench/run-summary';
import { groupBy, median, type Group } from '../bench/stats';
import { formatRandomAxis, formatGridAxis } from './plan-text';
import { formatSettings, type Settings } from './plan';
import { sweptKeys, type SweepFile, type TrialRecord } from './records';
import { markdownRow } from '../bench/text-table';

function table(header: readonly string[], rows: readonly (readonly string[])[], right: number): string[] {
  return [markdownRow(header), markdownRow(header.map((_, i) => (i >= right ? '---:' : '---'))), ...rows.map((r) => markdownRow(r))];
}

/** A setting's row label: `tauFast=16 lambda=0.25`. */
export function settingLabel(settings: Settings): string {
  return formatSettings(settings) || '(base)';
}

export interface SettingRow {
  setting: number;
  settings: Settings;
  algo: TrialRecord['algo'];
  runs: RunResult[];
  failed: number;
  best: boolean;
}

/** Finished records grouped by algorithm, then setting; each algorithm's best setting marked. */
export function settingRows(records: readonly TrialRecord[]): SettingRow[] {
  const byAlgo = groupBy(
    [...records].sort((a, b) => a.index - b.index),
    (r) => r.algo,
  );
  return byAlgo.flatMap(([algo, own]) => {
    const groups = groupBy(own, (r) => r.setting).map(([setting, rs]) => ({
      setting,
      settings: rs[0].settings,
      runs: rs.flatMap((r) => (r.result ? [r.result] : [])),
      failed: rs.filter((r) => r.result === null).length,
    }));
    // A setting every seed of which failed has nothing to judge; bestValue counts failures against the rest.
    const judged: SweepGroup<RunResult>[] = groups.flatMap((g) => {
      const [first, ...more] = g.runs;
      return first ? [{ value: g.setting, runs: [first, ...more] as Group<RunResult>, failed: g.failed }] : [];
    });
    const best = bestValue(judged);
    return groups.map((g) => ({ ...g, algo, best: best !== null && best.value === g.setting }));
  });
}

/** The sweep's report as Markdown; `plots` are file names beside it. */
export function sweepMarkdown(file: SweepFile, command: string, plots: readonly string[]): string {
  const { plan } = file;
  const keys = sweptKeys(plan);
  const finished = file.trials.filter((t) => t.summary !== null);
  const failed = file.trials.filter((t) => t.summary === null);
  const target = file.targetAccuracy === null ? 'no target' : `target ${percent(file.targetAccuracy, 2)} on the whole test set`;
  const lines: string[] = [
    '# Sweep',
    '',
    `\`${command}\``,
    '',
    `Started ${file.startedAt}; ${target}. ${finished.length} trials finished, ${failed.length} failed.`,
    '',
    ...plan.grid.map((a) => `- grid: \`${formatGridAxis(a)}\``),
    ...plan.random.map((a) => `- random (${plan.trials} draws, draw seed ${plan.drawSeed}): \`${formatRandomAxis(a)}\`${a.integer ? ' (integers)' : ''}`),
    `- algorithms: ${plan.algos.join(', ')}; seeds: ${plan.seeds.join(', ')}`,
    `- base config (flags given): ${Object.keys(file.base).length === 0 ? 'the defaults' : `\`${JSON.stringify(file.base)}\``}`,
    '',
  ];

  const where = groupBy(
    file.trials.filter((t) => t.where !== null),
    (t) => t.where?.browser ?? '',
  );
  if (where.length > 0) {
    lines.push('## Browsers', '');
    lines.push(
      ...table(
        ['browser', 'user agent', 'WebGPU adapter', 'cores', 'trials'],
        where.map(([name, ts]) => [name, ts[0].where?.userAgent ?? '', ts[0].where?.adapter ?? '', String(ts[0].where?.cores ?? ''), String(ts.length)]),
        3,
      ),
      '',
    );
  }

  const rows = settingRows(file.trials);
  const notes: string[] = [];
  lines.push('## By setting', '');
  lines.push(
    `Median (min–max) over the seeds; \`*\` marks each algorithm's best setting (the smallest median training-clock time to target among the settings with which every seed reached it; when none did, the highest median final accuracy). Differences inside the spread are ties.`,
    '',
  );
  lines.push(
    ...table(
      ['algo', ...keys, 'runs', 'time to target (train)', 'time to target (wall)', 'final accuracy', 'wall time'],
      rows.map((r) => {
        const train = trainTimeCell(r.runs);
        if (train.loose !== null) notes.push(looseNote(`${r.algo} ${settingLabel(r.settings)}`, train.loose, r.runs.length));
        const walls = r.runs.map((x) => x.wallMs);
        return [
          `${r.algo}${r.best ? ' *' : ''}`,
          ...keys.map((k) => {
            const text = formatSettings({ [k]: r.settings[k] } as Settings);
            return text.slice(text.indexOf('=') + 1);
          }),
          `${r.runs.length}${r.failed > 0 ? ` (+${r.failed} failed)` : ''}`,
          r.runs.length > 0 ? train.text : '-',
          r.runs.length > 0 ? wallTimeCell(r.runs) : '-',
          r.runs.length > 0 ? finalAccuracyCell(r.runs) : '-',
          walls.length > 0 ? seconds(median(walls)) : '-',
        ];
      }),
      1 + keys.length,
    ),
    '',
    ...notes.flatMap((n) => [n, '']),
  );
  for (const best of rows.filter((r) => r.best)) lines.push(`Best for ${best.algo}: ${settingLabel(best.settings)}.`);
  lines.push('');

  if (plots.length > 0) lines.push('## Accuracy', '', ...plots.map((p) => `![accuracy against training time](${p})`), '');

  lines.push('## Every trial', '');
  lines.push(
    ...table(
      ['#', 'algo', 'seed', 'setting', 'time to target (train)', 'time to target (wall)', 'final accuracy', 'wall time', 'stopped by', 'ran on', 'note'],
      [...file.trials]
        .sort((a, b) => a.index - b.index)
        .map((t) => {
          const s = t.summary;
          return [
            String(t.index + 1),
            t.algo,
            String(t.seed),
            settingLabel(t.settings),
            s ? seconds(s.timeToTargetMs, 1, 'not reached') : '-',
            s ? seconds(s.wallTimeToTargetMs, 1, 'not reached') : '-',
            s ? percent(s.finalAccuracy, 2) : '-',
            s ? seconds(s.wallMs) : '-',
            s ? `${s.stoppedBy}${s.cutShort ? ' (cut short)' : ''}` : 'failed',
            `${t.where?.browser ?? '-'}${t.attempts > 1 ? ` (attempt ${t.attempts})` : ''}`,
            t.failure ?? (s?.emulated ? 'emulated slowdown' : ''),
          ];
        }),
      4,
    ),
    '',
  );
  return `${lines.join('\n')}\n`;
}
