/** Checkpoint files written the way the format describes them, independently of encodeCheckpoint, for tests. */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Checkpoint } from './format';

/**
 * Writes a file the way the format describes it, independently of
 * encodeCheckpoint: version 1 (no trailer) or a version-2 file with any
 * header, sealed with a correct checksum.
 */
export function writeFile(version: number, header: unknown, floats: Float32Array): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  const h = new Uint8Array(padded).fill(0x20);
  h.set(json);
  json = h;
  const trailer = version === 2 ? 32 : 0;
  const out = new Uint8Array(12 + json.length + floats.byteLength + trailer);
  out.set(new TextEncoder().encode('TNDC'), 0);
  new DataView(out.buffer).setUint32(4, version, true);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), 12 + json.length);
  if (trailer) out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32);
  return out;
}

/** A version-1 file of `c`: the header without runId, fullAccuracy and totals, no trailer. */
export function versionOne(c: Checkpoint): Uint8Array {
  const { savedAt, config, datasetId, model, round, trainMs, learningRate, history } = c;
  const header = { savedAt, config, datasetId, model, round, trainMs, learningRate, history, paramCount: c.theta.length, lossCount: c.losses.length };
  const floats = new Float32Array(c.theta.length + c.losses.length);
  floats.set(c.theta);
  floats.set(c.losses, c.theta.length);
  return writeFile(1, header, floats);
}

