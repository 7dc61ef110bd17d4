/**
 * A run survives lost workers, bad numbers and reloads: workers removed or
 * losing their WebGPU device are dropped and the run still reaches its
 * target; a NaN model is left out and logged; workers can join; a diverging
 * run restores its last good model; a reloaded page resumes from its
 * checkpoint; nothing leaks over 200 rounds.
 */
import { expect, test, type Page } from '@playwright/test';
import type { RunResult } from '../src/protocol';
import { exportedCheckpoint, openTandem } from './helpers';

test.describe.configure({ mode: 'serial' });

/** Starts a run without waiting for it; the returned promise settles with its result. */
function startRun(page: Page, config: Record<string, unknown>): Promise<RunResult> {
  return page.evaluate((c) => window.tandem.run(c as never), config);
}

async function waitForRounds(page: Page, rounds: number): Promise<void> {
  await expect.poll(() => page.evaluate(() => window.tandem.events().length), { timeout: 120_000 }).toBeGreaterThanOrEqual(rounds);
}

/**
 * Asks for a pause as soon as the run is training (polling in the page, so
 * even a short first round is caught); 'pausing', or the phase the run
 * ended in first.
 */
function pauseWhenTraining(page: Page): Promise<string> {
  return page.evaluate(async () => {
    for (;;) {
      const phase = window.tandem.phase();
      if (phase === 'training') {
        await window.tandem.pause();
        return 'pausing';
      }
      if (phase === 'done' || phase === 'failed') return phase;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  });
}

const notes = (r: RunResult) => r.history.flatMap((h) => h.notes ?? []);

test('a removed WASM worker and a WebGPU device loss are survived; a NaN model is left out', async ({ page }) => {
  await openTandem(page);
  const phase = () => page.evaluate(() => window.tandem.phase());
  // Each run is held after its first round, so the faults land mid-run
  // however few rounds the target takes: what needs the next step is set
  // while it is paused, what should hit a round in progress comes right
  // after the resume (the SwiftShader worker's step outlasts a second).
  const pausedAfterRoundOne = async (): Promise<void> => {
    await expect.poll(phase, { timeout: 60_000 }).not.toBe('done');
    expect(await pauseWhenTraining(page)).toBe('pausing');
    await expect.poll(phase, { timeout: 120_000 }).toMatch(/^(paused|done|failed)$/);
    expect(await phase(), 'the run ended in its first round, before any fault').toBe('paused');
  };
  const config = { workers: 'webgpu:1,wasm:2', parking: 'off', targetAccuracy: 0.84, maxSeconds: 200, evalSamples: 2000 };
  const first = startRun(page, config);
  await pausedAfterRoundOne();
  await page.evaluate(() => window.tandem.diagnostics.injectNaN(2));
  await page.evaluate(() => window.tandem.resume());
  await page.evaluate(() => window.tandem.removeWorker(1));
  const a = await first;
  expect(a.stoppedBy).toBe('target');
  expect(a.workers.find((w) => w.id === 1)?.left).toContain('removed');
  expect(notes(a).join('\n')).toContain('worker 1 (wasm) left: removed by request');
  expect(notes(a).join('\n')).toMatch(/worker 2 published NaN\/Infinity: left out of the average/);

  const second = startRun(page, config);
  await pausedAfterRoundOne();
  await page.evaluate(() => window.tandem.resume());
  await page.evaluate(() => window.tandem.diagnostics.simulateDeviceLoss(0));
  const b = await second;
  expect(b.stoppedBy).toBe('target');
  expect(b.workers.find((w) => w.id === 0)?.left).toMatch(/device/i);
  expect(notes(b).join('\n')).toMatch(/worker 0 \(webgpu\) left/);
});

test('workers join a run; with none left the run pauses with its model and goes on from it when one joins', async ({ page }) => {
  await openTandem(page);
  const running = startRun(page, { workers: 'wasm:1', tauFast: 8, maxRounds: 12, evalSamples: 500, maxEvalShare: 0, parking: 'off' });
  await waitForRounds(page, 1);
  const joined = await page.evaluate(() => window.tandem.addWorker('wasm'));
  expect(joined).toBe(1);
  await waitForRounds(page, 3);
  await page.evaluate(() => window.tandem.removeWorker(0));
  await page.evaluate(() => window.tandem.removeWorker(1));
  await expect.poll(() => page.evaluate(() => window.tandem.phase()), { timeout: 60_000 }).toBe('paused');
  const pausedAt = await page.evaluate(() => window.tandem.events().length);
  await page.evaluate(() => window.tandem.addWorker('wasm'));
  const result = await running;
  expect(result.rounds).toBe(12);
  expect(notes(result).join('\n')).toMatch(/worker 1 \(wasm\) joined/);
  expect(result.workers.filter((w) => w.left === null).length).toBe(1);

  // The model survived the pause: the first round after it trains on where the
  // last trained round before it ended, not on a fresh model. (A round both
  // workers left holds no loss.)
  const trained = result.history.filter((h) => Number.isFinite(h.loss));
  const fresh = trained.find((h) => h.round === 1);
  const before = trained.filter((h) => h.round <= pausedAt).at(-1);
  const after = trained.find((h) => h.round > pausedAt);
  if (!fresh || !before || !after) throw new Error(`Rounds missing around the pause at ${pausedAt}: ${JSON.stringify(result.history)}`);
  const losses = `round 1: ${fresh.loss}, round ${before.round}: ${before.loss}, round ${after.round}: ${after.loss}`;
  // Training before the pause moved the loss well away from the fresh model's, so the two can be told apart.
  expect(before.loss, losses).toBeLessThan(0.75 * fresh.loss);
  expect(Math.abs(after.loss - before.loss), losses).toBeLessThan(Math.abs(after.loss - fresh.loss));
  // Evaluations come by time, so the rounds next to the pause may have none: compare the evaluations nearest to it.
  // A few rounds of 8 steps move 500-image accuracy by a few points either way; a fresh model would be back at
  // the first evaluation's.
  const evaluated = trained.filter((h) => h.accuracy !== null);
  const firstEval = evaluated[0];
  const beforeEval = evaluated.filter((h) => h.round <= pausedAt).at(-1);
  const afterEval = evaluated.find((h) => h.round > pausedAt);
  if (!firstEval || !beforeEval || !afterEval) {
    throw new Error(`Evaluations missing around the pause at ${pausedAt}: ${JSON.stringify(result.history)}`);
  }
  const accuracies = `round ${firstEval.round}: ${firstEval.accuracy}, round ${beforeEval.round}: ${beforeEval.accuracy}, round ${afterEval.round}: ${afterEval.accuracy}`;
  expect(afterEval.accuracy ?? 0, accuracies).toBeGreaterThan((beforeEval.accuracy ?? 1) - 0.1);
  expect(afterEval.accuracy ?? 0, accuracies).toBeGreaterThan(firstEval.accuracy ?? 1);
});

test('a diverging run stops, restores the last good model and names the setting to lower', async ({ page }) => {
  await openTandem(page);
  // tauFast 1: round 1's loss is the fresh model's, so the guard accepts it and the run diverges later.
  const running = startRun(page, { workers: 'wasm:1', tauFast: 1, learningRate: 8, momentum: 0.99, maxRounds: 20, evalSamples: 500 });
  // Pause after every round to read its global model from the checkpoint.
  const models = new Map<number, Float32Array>();
  const phase = () => page.evaluate(() => window.tandem.phase());
  while ((await pauseWhenTraining(page)) === 'pausing') {
    await expect.poll(phase, { timeout: 120_000 }).toMatch(/^(paused|done|failed)$/);
    if ((await phase()) !== 'paused') break;
    const checkpoint = await exportedCheckpoint(page);
    models.set(checkpoint.round, checkpoint.theta);
    await page.evaluate(() => window.tandem.resume());
  }
  const r = await running;
  expect(r.stoppedBy).toBe('diverged');
  expect(r.message).toMatch(/Lower learningRate \(now 8\)/);
  const good = r.rounds - 1;
  expect(r.message).toContain(`the global model of round ${good} is restored`);
  expect([...models.keys()]).toEqual(Array.from({ length: good }, (_, i) => i + 1));

  const restored = await exportedCheckpoint(page);
  const differing = (theta: Float32Array | undefined) =>
    theta ? restored.theta.filter((v, i) => !Object.is(v, theta[i])).length : Number.NaN;
  // Bit for bit the global model of the last round the guard accepted...
  expect(differing(models.get(good)), `weights differing from round ${good}'s`).toBe(0);
  // ...which the check can tell from the round before it.
  if (good >= 2) expect(differing(models.get(good - 1))).toBeGreaterThan(0);
  expect(Number.isFinite(r.finalAccuracy ?? Number.NaN)).toBe(true);
});

test('a reloaded page resumes from its checkpoint at the same round and accuracy', async ({ page }) => {
  await openTandem(page);
  void startRun(page, { workers: 'wasm:2', parking: 'off', maxEvalShare: 0, tauFast: 16, checkpointEvery: 2, maxRounds: 10, evalSamples: 1000 }).catch(() => undefined);
  await waitForRounds(page, 5);
  await page.reload();
  await page.waitForFunction(() => window.tandem !== undefined);
  await page.evaluate(() => window.tandem.ready());
  const saved = await page.evaluate(() => window.tandem.savedCheckpoint());
  expect(saved?.round).toBeGreaterThanOrEqual(4);
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  const resumed = await page.evaluate(() => window.tandem.resumeSaved());
  expect(resumed.rounds).toBe(10);
  const firstNew = resumed.history.find((h) => h.round === (saved?.round ?? 0) + 1);
  expect(firstNew).toBeDefined();
  expect(resumed.history.filter((h) => h.round <= (saved?.round ?? 0)).length).toBe(saved?.round);
  // The resumed model starts where it was: its first new evaluation is not back at chance. A round of SGD
  // from restarted momentum moves a 1,000-image accuracy by a few points either way (0.055 seen), so the
  // check is: within 0.1 of the saved figure, and above round 1's (a model restarted from scratch is not).
  const roundOne = resumed.history.find((h) => h.round === 1)?.accuracy ?? 1;
  expect(firstNew?.accuracy ?? 0).toBeGreaterThan((saved?.accuracy ?? 0) - 0.1);
  expect(firstNew?.accuracy ?? 0).toBeGreaterThan(roundOne);

  // One timeline: the wall clock keeps increasing across the reload, and every total covers the whole run.
  const exported = await exportedCheckpoint(page);
  const walls = exported.history.map((e) => e.wallMs);
  for (let i = 1; i < walls.length; i++) expect(walls[i], `wall clock at round ${i + 1}`).toBeGreaterThan(walls[i - 1] ?? Infinity);
  expect(resumed.wallMs).toBeGreaterThanOrEqual(walls.at(-1) ?? Infinity);
  const stepsOf = (id: number) => exported.history.reduce((n, e) => n + (e.workers.find((w) => w.id === id)?.steps ?? 0), 0);
  for (const w of resumed.workers) expect(w.steps, `worker ${w.id}'s steps over rounds 1-10`).toBe(stepsOf(w.id));
  expect(exported.totals?.workers.map((w) => w.steps)).toEqual(resumed.workers.map((w) => w.steps));
  expect(exported.fullAccuracy).toBe(resumed.finalAccuracy);

  // A checkpoint file round-trips through export and import; a foreign file is refused by name.
  const bytes = await page.evaluate(() => Array.from(window.tandem.exportCheckpoint()));
  const summary = await page.evaluate((b) => window.tandem.importCheckpoint(Uint8Array.from(b), 'run.tandem'), bytes);
  expect(summary.round).toBe(10);
  const refused = await page.evaluate(() =>
    window.tandem.importCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'), 'notes.json').then(
      () => 'accepted',
      (e: Error) => e.message,
    ),
  );
  expect(refused).toMatch(/notes\.json.*not a Tandem checkpoint/);
});

test('200 rounds leave the tensor count and the heaps flat', async ({ page }) => {
  await openTandem(page);
  const result = await startRun(page, { workers: 'wasm:2', parking: 'off', tauFast: 1, maxRounds: 200, evalEvery: 50, evalSamples: 200 });
  expect(result.rounds).toBe(200);
  const events = await page.evaluate(() => window.tandem.events());
  for (const id of [0, 1]) {
    const counts = new Set(events.map((e) => e.workers.find((w) => w.id === id)?.tensors));
    expect(counts.size, `worker ${id} tensors: ${[...counts].join(',')}`).toBe(1);
  }
  const before = await page.evaluate(() => window.tandem.memory());
  await startRun(page, { workers: 'wasm:2', parking: 'off', tauFast: 1, maxRounds: 200, evalEvery: 50, evalSamples: 200 });
  const after = await page.evaluate(() => window.tandem.memory());
  const MB = 1 << 20;
  if (before.page !== null && after.page !== null) expect(after.page - before.page).toBeLessThan(32 * MB);
  for (const w of after.workers) {
    const b = before.workers.find((x) => x.id === w.id);
    expect(w.tensors).toBe(b?.tensors);
    if (w.heapBytes !== null && b?.heapBytes != null) expect(w.heapBytes - b.heapBytes).toBeLessThan(16 * MB);
  }
});
