/**
 * A tiny run of `npm run bench:paper` (two experiments, a few rounds): the
 * report, the per-experiment JSON and the PNG plots are written and parse.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';

const run = promisify(execFile);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

test('bench:paper writes a report, JSON and plots', async () => {
  const out = await mkdtemp(join(tmpdir(), 'tandem-paper-'));
  await run(
    'npx',
    [
      'tsx', 'src/bench/paper.ts',
      '--experiments', 'compare,adaptive',
      '--workers', 'wasm:2',
      '--tau-fast', '4',
      '--max-rounds', '3',
      '--rounds', '3',
      '--eval-samples', '200',
      '--max-seconds', '30',
      '--warm-up', '1',
      '--out-dir', out,
    ],
    { timeout: 240_000 },
  );
  const report = await readFile(join(out, 'report.md'), 'utf8');
  expect(report).toContain('## Time to target and final accuracy at equal epochs');
  expect(report).toContain('## Adaptive vs fixed budgets');
  for (const algo of ['biased', 'local', 'sync', 'fast-only']) expect(report).toMatch(new RegExp(`\\| ${algo} \\|`));

  const compare = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8')) as {
    variants: { label: string; result: { rounds: number; history: unknown[] } | null }[];
  };
  expect(compare.variants.map((v) => v.label)).toEqual(['biased', 'local', 'sync', 'fast-only']);
  for (const v of compare.variants) expect(v.result?.history.length).toBe(3);
  const adaptive = JSON.parse(await readFile(join(out, 'adaptive.json'), 'utf8')) as {
    variants: { result: { emulated: boolean; workers: { slowdown: number }[] } | null }[];
  };
  expect(adaptive.variants.every((v) => v.result?.emulated === true)).toBe(true);
  expect(adaptive.variants[0]?.result?.workers[1]?.slowdown).toBe(4);

  for (const name of ['compare-accuracy', 'compare-busy', 'adaptive-accuracy', 'adaptive-busy']) {
    const png = await readFile(join(out, `${name}.png`));
    expect([...png.subarray(0, 8)], name).toEqual(PNG_SIGNATURE);
    expect(png.length, name).toBeGreaterThan(5_000);
  }
});
