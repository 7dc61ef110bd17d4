import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './format';

function sample(): Checkpoint {
  return {
    savedAt: '2026-01-01T00:00:00.000Z',
    config: validateConfig({ tauFast: 8, seed: 3 }),
    datasetId: 'fashion-mnist',
    model: 'cnn',
    round: 12,
    trainMs: 34_567.5,
    learningRate: 0.05,
    history: [],
    theta: Float32Array.from([1.5, -2, 3.25, Number.NaN]),
    losses: Float32Array.from([Number.POSITIVE_INFINITY, 0.5]),
  };
}

describe('checkpoint format', () => {
  it('round-trips every field exactly', () => {
    const c = sample();
    const back = decodeCheckpoint('c.tandem', encodeCheckpoint(c));
    expect(back.config).toEqual(c.config);
    expect(back.round).toBe(12);
    expect(back.trainMs).toBe(34_567.5);
    expect([...back.theta]).toEqual([...c.theta]);
    expect([...back.losses]).toEqual([Number.POSITIVE_INFINITY, 0.5]);
  });

  it('reads from an unaligned view', () => {
    const bytes = encodeCheckpoint(sample());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeCheckpoint('c', shifted.subarray(1)).round).toBe(12);
  });

  it('refuses truncated, foreign and inconsistent files by name and reason', () => {
    const bytes = encodeCheckpoint(sample());
    expect(() => decodeCheckpoint('t.tandem', bytes.subarray(0, bytes.length - 4))).toThrow(/t\.tandem: is .* bytes.*truncated/);
    expect(() => decodeCheckpoint('t.tandem', bytes.subarray(0, 8))).toThrow(/shorter than the 12-byte header/);
    expect(() => decodeCheckpoint('x.bin', new TextEncoder().encode('PK\u0003\u0004 not a checkpoint'))).toThrow(/not a Tandem checkpoint/);
    const wrongVersion = bytes.slice();
    new DataView(wrongVersion.buffer).setUint32(4, 99, true);
    expect(() => decodeCheckpoint('v', wrongVersion)).toThrow(/version 99/);
    const badConfig = encodeCheckpoint({ ...sample(), config: { ...sample().config, tauFast: -1 } });
    expect(() => decodeCheckpoint('b', badConfig)).toThrow(/config is invalid: Invalid tauFast/);
  });

  it('throws only CheckpointError on arbitrary bytes', () => {
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
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const corrupt = good.slice();
        corrupt[at] = value;
        try {
          decodeCheckpoint('corrupt', corrupt);
        } catch (e) {
          expect(e).toBeInstanceOf(CheckpointError);
        }
      }),
    );
  });
});
