/**
 * A sweep's output folder: sweep.json (the plan and every trial so far) and
 * trials.csv, rewritten after every trial so an interrupted sweep loses at
 * most the trials in progress; and, given the same folder again, the trials
 * already finished, which the sweep then skips. A folder that holds another
 * sweep is refused rather than mixed with this one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchArgsError } from '../bench/arg-values';
import { messageOf } from '../core/errors';
import type { RunConfig } from '../core/config';
import type { SweepPlan, Trial } from './plan';
import { SWEEP_FILE_KIND, sweepCsv, sweptKeys, type SweepFile, type TrialRecord } from './records';

export const SWEEP_JSON = 'sweep.json';
export const TRIALS_CSV = 'trials.csv';
export const REPORT_MD = 'report.md';

/** What decides whether two sweeps are the same one: the plan, the base config and the target. */
function identity(plan: SweepPlan, base: Partial<RunConfig>): string {
  return JSON.stringify({ plan, base });
}

/**
 * The finished trials a folder already holds for this sweep (failed ones run
 * again), or an empty list for a new or empty folder. Throws a BenchArgsError
 * naming --out when the folder is a file, holds an unreadable sweep.json, or
 * holds a different sweep.
 */
export function resumeFrom(dir: string, plan: SweepPlan, base: Partial<RunConfig>, trials: readonly Trial[]): { startedAt: string | null; done: TrialRecord[] } {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new BenchArgsError('--out', dir, 'a folder (the sweep writes several files into it)');
  const path = join(dir, SWEEP_JSON);
  if (!existsSync(path)) return { startedAt: null, done: [] };
  let file: SweepFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as SweepFile;
  } catch (error) {
    throw new BenchArgsError('--out', dir, 'a new folder, or one holding this sweep', `--out ${dir}: its ${SWEEP_JSON} cannot be read (${messageOf(error)}); give another folder.`);
  }
  if (file.kind !== SWEEP_FILE_KIND || !Array.isArray(file.trials)) {
    throw new BenchArgsError('--out', dir, 'a new folder, or one holding this sweep', `--out ${dir}: its ${SWEEP_JSON} is not a Tandem sweep; give another folder.`);
  }
  if (identity(file.plan, file.base) !== identity(plan, base)) {
    throw new BenchArgsError(
      '--out',
      dir,
      'a new folder, or one holding this sweep',
      `--out ${dir} holds a different sweep (other --grid, --random, --trials, --draw-seed, --algos, --seeds or config flags); give the same flags to resume it, or another folder.`,
    );
  }
  const ids = new Set(trials.map((t) => t.id));
  return { startedAt: file.startedAt, done: file.trials.filter((t) => t.summary !== null && ids.has(t.id)) };
}

/** Writes `text` to `path` through a temporary file, so a crash never leaves half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.part`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** sweep.json and trials.csv of the records so far, in plan order. */
export async function writeProgress(dir: string, file: SweepFile): Promise<void> {
  await mkdir(dir, { recursive: true });
  const sorted: SweepFile = { ...file, trials: [...file.trials].sort((a, b) => a.index - b.index) };
  await writeAtomically(join(dir, SWEEP_JSON), `${JSON.stringify(sorted, null, 2)}\n`);
  await writeAtomically(join(dir, TRIALS_CSV), sweepCsv(sweptKeys(file.plan), sorted.trials));
}
