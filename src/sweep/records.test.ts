import { describe, expect, it } from 'vitest';
import { fakeRun, fakeWorker } from '../bench/run-fixture';
import { expandTrials } from './plan';
import { CSV_COLUMNS, bestTrial, compareTrials, failedRecord, finishedRecord, summarize, sweepCsv, trainedPool, type TrialWhere } from './records';

const plan = { grid: [{ key: 'workers' as const, values: [[{ backend: 'wasm' as const, count: 2 }], 'auto' as const] }], random: [], trials: 0, algos: ['biased' as const], seeds: [1, 2], drawSeed: 1 };
const [t0, t1, t2, t3] = expandTrials(plan);
const where: TrialWhere = { browser: 'ws://10.0.0.2:3000/abc', userAgent: 'HeadlessChrome/156, "quoted"', adapter: 'google / swiftshader (fallback)', cores: 2 };

describe('trial records', () => {
  it('summarise a run: both clocks, the eval share, the pool that trained (parked left out)', () => {
    const run = fakeRun('biased', 4000, { workers: [fakeWorker(0, { backend: 'webgpu', parked: 'slows the pool' }), fakeWorker(1), fakeWorker(2)] });
    const s = summarize(run);
    expect(s).toMatchObject({ timeToTargetMs: 4000, targetAfterMs: 3800, wallTimeToTargetMs: 5000, evalShare: 0.3, trained: 'wasm:2', cutShort: false });
    expect(trainedPool({ workers: [fakeWorker(0, { backend: 'webgpu' }), fakeWorker(1)] })).toBe('webgpu:1,wasm:1');
  });

  it('write one CSV row per trial with the swept keys, seconds, where it ran, quoted as RFC 4180 asks', () => {
    if (!t0 || !t1 || !t2) throw new Error('fixture');
    const records = [
      finishedRecord(t0, fakeRun('biased', 4000), where, 1),
      finishedRecord(t1, fakeRun('biased', null), where, 2),
      failedRecord(t2, 'run rejected: Target closed, "gone"', null, 3),
    ];
    const lines = sweepCsv(['workers'], records).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(['trial', 'algo', 'seed', 'workers', ...CSV_COLUMNS].join(','));
    expect(lines[1]).toBe(
      '1,biased,1,wasm:2,4,3.8,5,0.8612,,4,5,0.3,10,1,false,target,"webgpu:1,wasm:1",false,1,' +
        'ws://10.0.0.2:3000/abc,"HeadlessChrome/156, ""quoted""",google / swiftshader (fallback),2,',
    );
    expect(lines[2]?.startsWith('2,biased,1,auto,,,,0.8612,,4,5,0.3,10,1,false,time,')).toBe(true);
    expect(lines[3]).toBe('3,biased,2,wasm:2,,,,,,,,,,,,,,,3,,,,,"run rejected: Target closed, ""gone"""');
    // Every row has as many cells as the header, counting quoted commas as text.
    const cells = (line: string): number => line.replace(/"(?:[^"]|"")*"/g, 'x').split(',').length;
    for (const line of lines) expect(cells(line)).toBe(cells(lines[0] ?? ''));
  });

  it('rank trials: reached targets by training time, then the rest by accuracy, failures last', () => {
    if (!t0 || !t1 || !t2 || !t3) throw new Error('fixture');
    const slow = finishedRecord(t0, fakeRun('biased', 5000), null, 1);
    const fast = finishedRecord(t1, fakeRun('biased', 3000), null, 1);
    const missed = finishedRecord(t2, fakeRun('biased', null, { finalAccuracy: 0.9 }), null, 1);
    const failed = failedRecord(t3, 'x', null, 1);
    expect([failed, missed, slow, fast].sort(compareTrials).map((r) => r.index)).toEqual([1, 0, 2, 3]);
    expect(bestTrial([failed, missed, slow, fast])?.index).toBe(1);
    expect(bestTrial([failed, missed])?.index).toBe(2);
    expect(bestTrial([failed])).toBeNull();
  });
});
