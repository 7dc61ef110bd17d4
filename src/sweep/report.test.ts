import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchArgsError } from '../bench/arg-values';
import { fakeRun } from '../bench/run-fixture';
import { resumeFrom, writeProgress, SWEEP_JSON, TRIALS_CSV } from './output';
import { expandTrials, type SweepPlan } from './plan';
import { failedRecord, finishedRecord, type SweepFile, type TrialWhere } from './records';
import { settingRows, sweepMarkdown } from './report';

const plan: SweepPlan = { grid: [{ key: 'tauFast', values: [8, 16] }], random: [], trials: 0, algos: ['biased', 'local'], seeds: [1, 2], drawSeed: 1 };
const trials = expandTrials(plan);
const where: TrialWhere = { browser: 'local 1', userAgent: 'HeadlessChrome/156', adapter: 'google / swiftshader (fallback)', cores: 2 };

/** biased is fastest at tauFast 16 (3 s vs 5 s); local reaches the target only at 8, and misses it once at 16. */
function records() {
  return trials.map((t) => {
    const fast = t.settings.tauFast === 16;
    if (t.algo === 'biased') return finishedRecord(t, fakeRun('biased', (fast ? 3000 : 5000) + t.seed * 100, {}, t.seed), where, 1);
    if (fast && t.seed === 2) return failedRecord(t, 'run rejected: page crashed', where, 1);
    return finishedRecord(t, fakeRun('local', fast ? null : 6000, { finalAccuracy: fast ? 0.9 : 0.86 }, t.seed), where, 1);
  });
}

function file(): SweepFile {
  return { kind: 'tandem-sweep', version: 1, startedAt: '2026-11-30T21:00:00Z', plan, base: { maxSeconds: 30 }, targetAccuracy: 0.85, trials: records() };
}

describe('the sweep report', () => {
  it('marks each algorithm’s best setting by the benchmark’s rule', () => {
    const rows = settingRows(records());
    expect(rows.map((r) => `${r.algo} ${r.settings.tauFast} ${r.runs.length}+${r.failed}${r.best ? ' best' : ''}`)).toEqual([
      'biased 8 2+0',
      'biased 16 2+0 best',
      // At 16 one seed failed: only settings every seed reached the target with compete on time.
      'local 8 2+0 best',
      'local 16 1+1',
    ]);
  });

  it('gives the plan, the browsers, the table by setting with spreads, and every trial', () => {
    const md = sweepMarkdown(file(), 'npm run sweep -- --grid tauFast=8,16', ['accuracy.png']);
    expect(md).toContain('- grid: `tauFast=8,16`');
    expect(md).toContain('| local 1 | HeadlessChrome/156 | google / swiftshader (fallback) | 2 | 8 |');
    expect(md).toContain('| biased * | 16 | 2 | 3.1 s (3.1–3.2) | 4.2 s (4.1–4.2) | 86.12% | 5.0 s |');
    expect(md).toContain('| local | 16 | 1 (+1 failed) | not reached | not reached | 90.00% |');
    expect(md).toContain('Best for biased: tauFast=16.');
    expect(md).toContain('![accuracy against training time](accuracy.png)');
    expect(md).toContain('| 4 | local | 1 | tauFast=16 | not reached | not reached | 90.00% | 5.0 s | time | local 1 |  |');
    expect(md).toContain('run rejected: page crashed');
  });
});

describe('the output folder', () => {
  it('writes sweep.json and trials.csv, and resumes with the finished trials only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-sweep-'));
    const f = file();
    await writeProgress(dir, { ...f, trials: [...f.trials].reverse() });
    const saved = JSON.parse(readFileSync(join(dir, SWEEP_JSON), 'utf8')) as SweepFile;
    expect(saved.trials.map((t) => t.index)).toEqual(trials.map((t) => t.index));
    expect(readFileSync(join(dir, TRIALS_CSV), 'utf8').trimEnd().split('\n')).toHaveLength(trials.length + 1);
    const { done, startedAt } = resumeFrom(dir, plan, { maxSeconds: 30 }, trials);
    expect(startedAt).toBe('2026-11-30T21:00:00Z');
    // Every trial but the failed one is done; the failed one runs again.
    expect(done.map((t) => t.index)).toEqual(trials.filter((t) => !(t.algo === 'local' && t.settings.tauFast === 16 && t.seed === 2)).map((t) => t.index));
  });

  it('refuses a folder holding another sweep or something else, naming --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-sweep-'));
    await writeProgress(dir, file());
    expect(() => resumeFrom(dir, { ...plan, seeds: [1] }, { maxSeconds: 30 }, trials)).toThrow(/holds a different sweep/);
    expect(() => resumeFrom(dir, plan, { maxSeconds: 60 }, trials)).toThrow(BenchArgsError);
    writeFileSync(join(dir, SWEEP_JSON), '{"kind":"other"}');
    expect(() => resumeFrom(dir, plan, {}, trials)).toThrow(/not a Tandem sweep/);
    writeFileSync(join(dir, SWEEP_JSON), '{');
    expect(() => resumeFrom(dir, plan, {}, trials)).toThrow(/cannot be read/);
    expect(resumeFrom(join(dir, 'new'), plan, {}, trials).done).toEqual([]);
  });
});
