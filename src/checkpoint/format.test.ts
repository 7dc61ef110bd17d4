import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import { CheckpointError, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, type Checkpoint, type RunTotals } from './format';
import { versionOne, writeFile } from './format-fixture';

function totals(): RunTotals {
  return {
    wallMs: 51_000.25,
    profileMs: 1_200,
    evalMs: 3_400.5,
    aggregateMs: 120,
    exchangeMs: 80,
    wholeTestSet: { evaluations: 3, workers: 2, ms: 900, sliceMs: 450 },
    workers: [
      { id: 0, backend: 'webgpu', steps: 400, samples: 12_800, busyMs: 30_000, idleMs: 2_000 },
      { id: 1, backend: 'wasm', steps: 90, samples: 2_880, busyMs: 31_000, idleMs: 1_000 },
    ],
  };
}

function sample(): Checkpoint {
  return {
    savedAt: '2026-01-01T00:00:00.000Z',
    runId: 'run-2026-01-01-abc',
    config: validateConfig({ tauFast: 8, seed: 3 }),
    datasetId: 'fashion-mnist',
    model: 'cnn',
    round: 12,
    trainMs: 34_567.5,
    learningRate: 0.05,
    fullAccuracy: 0.8125,
    totals: totals(),
    history: [],
    theta: Float32Array.from([1.5, -2, 3.25, Number.NaN]),
    losses: Float32Array.from([Number.POSITIVE_INFINITY, 0.5, 0.25]),
  };
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Record<string, unknown>;
}

/** A version-2 file whose header was edited, resealed so that only the edit can be refused. */
function resealed(edit: (header: Record<string, unknown>) => void): Uint8Array {
  const c = sample();
  const header = headerOf(encodeCheckpoint(c));
  edit(header);
  const floats = new Float32Array(c.theta.length + c.losses.length);
  floats.set(c.theta);
  floats.set(c.losses, c.theta.length);
  return writeFile(2, header, floats);
}

describe('checkpoint format', () => {
  it('writes version 2 and round-trips every field exactly', () => {
    const c = sample();
    const bytes = encodeCheckpoint(c);
    expect(CHECKPOINT_VERSION).toBe(2);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(2);
    const back = decodeCheckpoint('c.tandem', bytes);
    expect(back.checksum).toBe('sha256');
    expect(back.config).toEqual(c.config);
    expect(back.round).toBe(12);
    expect(back.trainMs).toBe(34_567.5);
    expect([...back.theta]).toEqual([...c.theta]);
    expect([...back.losses]).toEqual([Number.POSITIVE_INFINITY, 0.5, 0.25]);
  });

  it('round-trips the run id, whole-test-set accuracy and totals', () => {
    const back = decodeCheckpoint('c', encodeCheckpoint(sample()));
    expect(back.runId).toBe('run-2026-01-01-abc');
    expect(back.fullAccuracy).toBe(0.8125);
    expect(back.totals).toEqual(totals());
    const none = decodeCheckpoint('c', encodeCheckpoint({ ...sample(), fullAccuracy: null, totals: null }));
    expect(none.fullAccuracy).toBeNull();
    expect(none.totals).toBeNull();
  });

  it('ends with the SHA-256 of every byte before it', () => {
    const bytes = encodeCheckpoint(sample());
    expect([...bytes.subarray(bytes.length - 32)]).toEqual([...sha256(bytes.subarray(0, bytes.length - 32))]);
  });

  it('reads from an unaligned view', () => {
    const bytes = encodeCheckpoint(sample());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeCheckpoint('c', shifted.subarray(1)).round).toBe(12);
  });

  describe('refuses a flipped byte as damaged', () => {
    const good = encodeCheckpoint(sample());
    const headerBytes = new DataView(good.buffer).getUint32(8, true);
    const thetaAt = 12 + headerBytes;
    const lossesAt = thetaAt + 4 * sample().theta.length;
    const trailerAt = lossesAt + 4 * sample().losses.length;
    const sections: [string, number, number][] = [
      ['header', 12, thetaAt],
      ['theta', thetaAt, lossesAt],
      ['losses', lossesAt, trailerAt],
      ['trailer', trailerAt, good.length],
    ];
    for (const [section, start, end] of sections) {
      for (const [where, at] of [['start', start], ['middle', Math.floor((start + end) / 2)], ['end', end - 1]] as const) {
        it(`in the ${section}, at its ${where} (byte ${at})`, () => {
          const before = good.slice();
          const flipped = good.slice();
          flipped[at] = (flipped[at] as number) ^ 0x01;
          const unchanged = flipped.slice();
          expect(() => decodeCheckpoint('d.tandem', flipped)).toThrow(
            /^Checkpoint d\.tandem: checksum mismatch: the file is damaged \(its trailer records SHA-256 [0-9a-f]{8}\.\.\., its first \d+ bytes hash to [0-9a-f]{8}\.\.\./,
          );
          // The reader neither repairs nor touches what it is given.
          expect(flipped).toEqual(unchanged);
          expect(good).toEqual(before);
          expect(decodeCheckpoint('d.tandem', good).round).toBe(12);
        });
      }
    }
  });

  it('reads a version-1 file, marked unverified, with a run id from its date and no totals', () => {
    const c = sample();
    const back = decodeCheckpoint('old.tandem', versionOne(c));
    expect(back.checksum).toBe('none (version 1)');
    expect(back.runId).toBe('v1-2026-01-01T00:00:00.000Z');
    expect(back.fullAccuracy).toBeNull();
    expect(back.totals).toBeNull();
    expect(back.round).toBe(12);
    expect(back.config).toEqual(c.config);
    expect([...back.theta]).toEqual([...c.theta]);
    expect([...back.losses]).toEqual([...c.losses]);
  });

  it('cannot tell a damaged version-1 file, which is why it is marked unverified', () => {
    const bytes = versionOne(sample());
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    expect(decodeCheckpoint('old', bytes).checksum).toBe('none (version 1)');
  });

  it('refuses truncated, foreign and other-version files by name and reason', () => {
    const bytes = encodeCheckpoint(sample());
    expect(() => decodeCheckpoint('t.tandem', bytes.subarray(0, bytes.length - 4))).toThrow(/t\.tandem: checksum mismatch: .*cut short/);
    expect(() => decodeCheckpoint('t.tandem', bytes.subarray(0, 8))).toThrow(/shorter than the 12-byte header/);
    expect(() => decodeCheckpoint('t.tandem', bytes.subarray(0, 40))).toThrow(/header of \d+ bytes does not fit in 40 bytes/);
    expect(() => decodeCheckpoint('x.bin', new TextEncoder().encode('PK\u0003\u0004 not a checkpoint'))).toThrow(/not a Tandem checkpoint/);
    for (const version of [0, 3, 99]) {
      const other = bytes.slice();
      new DataView(other.buffer).setUint32(4, version, true);
      expect(() => decodeCheckpoint('v', other)).toThrow(`Checkpoint v: version ${version}; this build reads versions 1 and 2.`);
    }
    const v1 = versionOne(sample());
    expect(() => decodeCheckpoint('old', v1.subarray(0, v1.length - 4))).toThrow(/old: is .* bytes.*truncated/);
  });

  it('refuses a sealed file whose header is inconsistent', () => {
    expect(() => decodeCheckpoint('b', resealed((h) => ((h['config'] as Record<string, unknown>)['tauFast'] = -1)))).toThrow(
      /config is invalid: Invalid tauFast/,
    );
    expect(() => decodeCheckpoint('b', resealed((h) => (h['lossCount'] = 2)))).toThrow(/announces 4 weights and 2 losses/);
  });

  it('refuses a new field of the wrong type, naming the field and value', () => {
    const refuse = (edit: (h: Record<string, unknown>) => void, message: string) =>
      expect(() => decodeCheckpoint('n', resealed(edit))).toThrow(`Checkpoint n: ${message}`);
    refuse((h) => (h['runId'] = 7), 'runId is 7; expected a non-empty string.');
    refuse((h) => delete h['runId'], 'runId is missing; expected a non-empty string.');
    refuse((h) => (h['fullAccuracy'] = '0.9'), 'fullAccuracy is "0.9"; expected a number from 0 to 1, or null.');
    refuse((h) => (h['fullAccuracy'] = 1.5), 'fullAccuracy is 1.5; expected a number from 0 to 1, or null.');
    refuse((h) => (h['totals'] = 'all'), 'totals is "all"; expected an object.');
    refuse((h) => ((h['totals'] as Record<string, unknown>)['wallMs'] = null), 'totals.wallMs is null; expected a finite number.');
    refuse(
      (h) => ((h['totals'] as { wholeTestSet: Record<string, unknown> }).wholeTestSet['evaluations'] = 1.5),
      'totals.wholeTestSet.evaluations is 1.5; expected a whole number.',
    );
    refuse((h) => ((h['totals'] as Record<string, unknown>)['workers'] = {}), 'totals.workers is {}; expected a list.');
    refuse(
      (h) => ((h['totals'] as { workers: Record<string, unknown>[] }).workers[1]!['busyMs'] = 'long'),
      'totals.workers[1].busyMs is "long"; expected a finite number.',
    );
    refuse(
      (h) => ((h['totals'] as { workers: Record<string, unknown>[] }).workers[0]!['backend'] = 3),
      'totals.workers[0].backend is 3; expected a non-empty string.',
    );
  });

  it('refuses to write what it would refuse to read, at save time', () => {
    expect(() => encodeCheckpoint({ ...sample(), trainMs: Number.NaN })).toThrow('Checkpoint to save: trainMs is NaN; expected a finite number.');
    expect(() => encodeCheckpoint({ ...sample(), runId: '' })).toThrow('Checkpoint to save: runId is ""; expected a non-empty string.');
    const t = totals();
    t.workers[0]!.steps = -1;
    expect(() => encodeCheckpoint({ ...sample(), totals: t })).toThrow('Checkpoint to save: totals.workers[0].steps is -1; expected a whole number.');
  });

  it('throws only CheckpointError on arbitrary bytes, and refuses every changed byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeCheckpoint('random', bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CheckpointError);
        }
      }),
    );
    const good = encodeCheckpoint(sample());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const corrupt = good.slice();
        corrupt[at] = (corrupt[at] as number) ^ xor;
        expect(() => decodeCheckpoint('corrupt', corrupt)).toThrow(CheckpointError);
      }),
    );
  });
});
