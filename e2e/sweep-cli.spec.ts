/**
 * `npm run sweep` across two browser servers on loopback (Playwright's
 * launchServer, the protocol a browser on another machine would speak):
 * one is closed in the middle of a trial; its trial is re-run on the other,
 * every result is written, and the same command given again skips them.
 * The sweep opens the page the test server already serves (--app-url).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserServer } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from '../src/bench/chromium';
import type { SweepFile } from '../src/sweep/records';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Runs the sweep CLI; `onLine` sees each stdout line as it comes. */
function sweep(args: string[], onLine: (line: string) => void = () => undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('npx', ['tsx', 'src/sweep/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, output }));
  });
}

test('a 4-trial sweep over two browser servers, one closed mid-trial: all 4 results, the lost trial re-run on the other, the report written', async ({ baseURL }) => {
  test.setTimeout(420_000);
  const executablePath = chromiumExecutable();
  const launch = (): Promise<BrowserServer> => chromium.launchServer({ ...(executablePath ? { executablePath } : {}), args: [...CHROMIUM_ARGS], headless: true });
  const servers = [await launch(), await launch()];
  try {
    const [a, b] = servers.map((s) => s.wsEndpoint()) as [string, string];
    const out = await mkdtemp(join(tmpdir(), 'tandem-sweep-'));
    const args = [
      '--grid', 'tauFast=8,16',
      '--seeds', '1,2',
      '--algos', 'local',
      '--workers', 'wasm:1',
      '--parking', 'off',
      '--target-accuracy', 'none',
      '--max-rounds', '40',
      '--eval-samples', '300',
      '--max-seconds', '60',
      '--browsers', `${a},${b}`,
      '--app-url', baseURL ?? 'http://localhost:4318/',
      '--retries', '1',
      '--out', out,
    ];
    let closed: Promise<void> | null = null;
    let lostTrial: string | null = null;
    const first = await sweep(args, (line) => {
      // The second server's first trial: close it once that trial is training.
      const started = new RegExp(`^\\[${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] trial (\\d+)/4`).exec(line);
      if (started && closed === null) {
        lostTrial = started[1] ?? null;
        closed = new Promise((r) => setTimeout(r, 3_000)).then(() => servers[1]?.close());
      }
    });
    await closed;
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/was lost during trial \d+ .*the trial goes to another browser/);

    const file = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as SweepFile;
    expect(file.trials.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(file.trials.every((t) => t.summary !== null && t.summary.rounds === 40 && t.failure === null)).toBe(true);
    const rerun = file.trials.find((t) => String(t.index + 1) === lostTrial);
    expect(rerun?.attempts).toBe(2);
    expect(rerun?.where?.browser).toBe(a);
    // Where each trial ran: the browser's own report.
    expect(file.trials.every((t) => /HeadlessChrome/.test(t.where?.userAgent ?? '') && (t.where?.cores ?? 0) > 0)).toBe(true);

    const csv = (await readFile(join(out, 'trials.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^trial,algo,seed,tauFast,time_to_target_train_s,/);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## By setting');
    expect(report).toMatch(/\| local \*? ?\| 8 \| 2 \|/);
    expect(report).toContain(`(attempt 2)`);
    const png = await readFile(join(out, 'accuracy.png'));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);

    // The same command again: every trial is done, nothing runs, the report is rewritten.
    const before = (await stat(join(out, 'sweep.json'))).mtimeMs;
    const again = await sweep(args);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('4 already done');
    expect(again.output).not.toMatch(/trial \d\/4:/);
    expect((await stat(join(out, 'sweep.json'))).mtimeMs).toBeGreaterThanOrEqual(before);
  } finally {
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  }
});
