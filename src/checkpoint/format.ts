/**
 * A run's checkpoint as one binary file: enough to continue the run where it
 * was (global model, loss table, round, clock, config, history). The same
 * bytes go to IndexedDB and to an exported file, so one reader checks both.
 *
 * Layout (little-endian): "TNDC", u32 version, u32 header bytes, header JSON
 * (UTF-8, padded with spaces to a multiple of 4), Float32[paramCount] theta,
 * Float32[lossCount] losses.
 */
import { validateConfig, type RunConfig } from '../core/config';
import type { RoundEvent } from '../protocol';
import { messageOf } from '../core/errors';

export const CHECKPOINT_MAGIC = 'TNDC';
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  savedAt: string;
  config: RunConfig;
  /** The dataset spec and model the weights belong to. */
  datasetId: string;
  model: RunConfig['model'];
  /** Rounds completed. */
  round: number;
  /** Training clock at the checkpoint, ms. */
  trainMs: number;
  /** Current learning rate (after any decay). */
  learningRate: number;
  history: RoundEvent[];
  theta: Float32Array;
  losses: Float32Array;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

interface Header {
  savedAt: string;
  config: unknown;
  datasetId: string;
  model: string;
  round: number;
  trainMs: number;
  learningRate: number;
  history: RoundEvent[];
  paramCount: number;
  lossCount: number;
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const header: Header = {
    savedAt: c.savedAt,
    config: c.config,
    datasetId: c.datasetId,
    model: c.model,
    round: c.round,
    trainMs: c.trainMs,
    learningRate: c.learningRate,
    history: c.history,
    paramCount: c.theta.length,
    lossCount: c.losses.length,
  };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(12 + json.length + 4 * (c.theta.length + c.losses.length));
  out.set([...CHECKPOINT_MAGIC].map((ch) => ch.charCodeAt(0)), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, CHECKPOINT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  const floats = new Float32Array(out.buffer, 12 + json.length, c.theta.length + c.losses.length);
  floats.set(c.theta, 0);
  floats.set(c.losses, c.theta.length);
  return out;
}

/** Reads a checkpoint file; a truncated, foreign or inconsistent one is refused with the reason. */
export function decodeCheckpoint(name: string, bytes: Uint8Array): Checkpoint {
  const fail = (what: string): never => {
    throw new CheckpointError(`Checkpoint ${name}: ${what}`);
  };
  if (bytes.length < 12) fail(`${bytes.length} bytes is shorter than the 12-byte header.`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== CHECKPOINT_MAGIC) fail(`starts with ${JSON.stringify(magic)}, not "${CHECKPOINT_MAGIC}": not a Tandem checkpoint.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== CHECKPOINT_VERSION) fail(`version ${version}; this build reads version ${CHECKPOINT_VERSION}.`);
  const headerBytes = view.getUint32(8, true);
  if (headerBytes % 4 !== 0 || 12 + headerBytes > bytes.length) {
    fail(`header of ${headerBytes} bytes does not fit in ${bytes.length} bytes (truncated?).`);
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerBytes))) as Header;
  } catch (e) {
    return fail(`header is not valid JSON (${messageOf(e)}).`);
  }
  if (typeof header !== 'object' || header === null) fail('header is not an object.');
  const count = (key: 'paramCount' | 'lossCount' | 'round') => {
    const v = header[key];
    if (!Number.isInteger(v) || v < 0) fail(`header ${key} is ${JSON.stringify(v)}; expected a whole number.`);
    return v;
  };
  const paramCount = count('paramCount');
  const lossCount = count('lossCount');
  const round = count('round');
  const expected = 12 + headerBytes + 4 * (paramCount + lossCount);
  if (bytes.length !== expected) {
    fail(`is ${bytes.length} bytes; its header announces ${paramCount} weights and ${lossCount} losses, ${expected} bytes in all (truncated?).`);
  }
  let config: RunConfig;
  try {
    config = validateConfig(header.config);
  } catch (e) {
    return fail(`its config is invalid: ${messageOf(e)}`);
  }
  if (typeof header.datasetId !== 'string' || header.model !== config.model) {
    fail(`dataset ${JSON.stringify(header.datasetId)} / model ${JSON.stringify(header.model)} do not match its config.`);
  }
  if (!Array.isArray(header.history)) fail('history is not a list.');
  for (const key of ['trainMs', 'learningRate'] as const) {
    if (typeof header[key] !== 'number' || !Number.isFinite(header[key])) fail(`${key} is ${JSON.stringify(header[key])}; expected a number.`);
  }
  // Copy out: the caller's bytes may not be 4-byte aligned.
  const floats = new Float32Array(bytes.slice(12 + headerBytes).buffer);
  return {
    savedAt: String(header.savedAt),
    config,
    datasetId: header.datasetId,
    model: config.model,
    round,
    trainMs: header.trainMs,
    learningRate: header.learningRate,
    history: header.history,
    theta: floats.slice(0, paramCount),
    losses: floats.slice(paramCount, paramCount + lossCount),
  };
}
