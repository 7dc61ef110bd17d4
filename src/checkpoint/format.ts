/**
 * A run's checkpoint as one binary file: enough to continue the run where it
 * was (global model, loss table, round, clocks, config, history, totals). The
 * same bytes go to IndexedDB and to an exported file, so one reader checks both.
 *
 * Layout, version 2 (little-endian):
 *   0   "TNDC"
 *   4   u32 version (2)
 *   8   u32 header bytes H (a multiple of 4)
 *   12  header JSON, UTF-8, padded with spaces to H bytes
 *   12+H            Float32[paramCount] theta
 *   12+H+4p         Float32[lossCount] losses
 *   12+H+4(p+l)     32-byte SHA-256 of every byte before it
 * Version 1 is the same without the trailer and without the header's runId,
 * fullAccuracy and totals; it is still read, marked unverified.
 *
 * The checksum is verified before anything else is parsed, so a damaged file
 * is refused as damaged rather than as whatever its flipped byte happens to
 * break. SHA-256 comes from @noble/hashes, not crypto.subtle: it is
 * synchronous, and Web Crypto is absent from pages served over plain http.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { validateConfig, type RunConfig } from '../core/config';
import type { RoundEvent } from '../protocol';
import { messageOf } from '../core/errors';

export const CHECKPOINT_MAGIC = 'TNDC';
/** The version this build writes. */
export const CHECKPOINT_VERSION = 2;
/** The versions this build reads. */
const READABLE_VERSIONS: readonly number[] = [1, 2];
/** Magic, version and header length. */
const PREFIX_BYTES = 12;
/** The version-2 trailer: a SHA-256 digest. */
const CHECKSUM_BYTES = 32;

/** A run's totals up to a checkpoint, so a resumed run reports the whole run, not only its part since the resume. */
export interface RunTotals {
  /** Wall clock of the run at the checkpoint, ms (from the first run() of the run, across resumes). */
  wallMs: number;
  profileMs: number;
  evalMs: number;
  aggregateMs: number;
  exchangeMs: number;
  wholeTestSet: { evaluations: number; workers: number; ms: number; sliceMs: number };
  /** Per worker id: summed work over the whole run. */
  workers: { id: number; backend: string; steps: number; samples: number; busyMs: number; idleMs: number }[];
}

export interface Checkpoint {
  savedAt: string;
  /** Identifies the run across its saves and resumes (saves are stored per run). */
  runId: string;
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
  /** Whole-test-set accuracy of `theta`, when measured; null otherwise. */
  fullAccuracy: number | null;
  /** The run's totals up to this checkpoint, so a resumed run reports the whole run; null in version-1 files. */
  totals: RunTotals | null;
  history: RoundEvent[];
  theta: Float32Array;
  losses: Float32Array;
}

/**
 * How a decoded file was verified. Version-1 files carry no checksum, so the
 * page can only tell the user that damage in one could not be detected.
 */
export type ChecksumStatus = 'sha256' | 'none (version 1)';

/** What decodeCheckpoint returns: a checkpoint plus how far its bytes could be trusted. */
export interface DecodedCheckpoint extends Checkpoint {
  checksum: ChecksumStatus;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

type Fail = (what: string) => never;

/** The header as written: everything but the arrays, whose lengths it announces. */
interface Header {
  savedAt: string;
  runId: string;
  config: RunConfig;
  datasetId: string;
  model: string;
  round: number;
  trainMs: number;
  learningRate: number;
  fullAccuracy: number | null;
  totals: RunTotals | null;
  history: RoundEvent[];
  paramCount: number;
  lossCount: number;
}

/**
 * Encodes `c` as a version-2 file. Its header is checked as the reader checks
 * it (a NaN clock would be written as JSON null), so a field the reader would
 * refuse is found when saving, not when resuming.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const header: Header = {
    savedAt: c.savedAt,
    runId: c.runId,
    config: c.config,
    datasetId: c.datasetId,
    model: c.model,
    round: c.round,
    trainMs: c.trainMs,
    learningRate: c.learningRate,
    fullAccuracy: c.fullAccuracy,
    totals: c.totals,
    history: c.history,
    paramCount: c.theta.length,
    lossCount: c.losses.length,
  };
  readHeader(header, 2, (what) => {
    throw new CheckpointError(`Checkpoint to save: ${what}`);
  });
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const floatsAt = PREFIX_BYTES + json.length;
  const trailerAt = floatsAt + 4 * (c.theta.length + c.losses.length);
  const out = new Uint8Array(trailerAt + CHECKSUM_BYTES);
  out.set([...CHECKPOINT_MAGIC].map((ch) => ch.charCodeAt(0)), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, CHECKPOINT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, PREFIX_BYTES);
  const floats = new Float32Array(out.buffer, floatsAt, c.theta.length + c.losses.length);
  floats.set(c.theta, 0);
  floats.set(c.losses, c.theta.length);
  out.set(sha256(out.subarray(0, trailerAt)), trailerAt);
  return out;
}

/**
 * Reads a checkpoint file; a truncated, damaged, foreign or inconsistent one
 * is refused with the reason. Never modifies `bytes`.
 */
export function decodeCheckpoint(name: string, bytes: Uint8Array): DecodedCheckpoint {
  const fail: Fail = (what) => {
    throw new CheckpointError(`Checkpoint ${name}: ${what}`);
  };
  if (bytes.length < PREFIX_BYTES) fail(`${bytes.length} bytes is shorter than the ${PREFIX_BYTES}-byte header.`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== CHECKPOINT_MAGIC) fail(`starts with ${JSON.stringify(magic)}, not "${CHECKPOINT_MAGIC}": not a Tandem checkpoint.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (!READABLE_VERSIONS.includes(version)) fail(`version ${version}; this build reads versions ${READABLE_VERSIONS.join(' and ')}.`);
  const trailer = version === 2 ? CHECKSUM_BYTES : 0;
  const headerBytes = view.getUint32(8, true);
  if (headerBytes % 4 !== 0 || PREFIX_BYTES + headerBytes + trailer > bytes.length) {
    fail(`header of ${headerBytes} bytes does not fit in ${bytes.length} bytes (truncated?).`);
  }
  if (version === 2) verifyChecksum(bytes, fail);
  const body = bytes.subarray(0, bytes.length - trailer);

  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes)));
  } catch (e) {
    return fail(`header is not valid JSON (${messageOf(e)}).`);
  }
  const header = readHeader(raw, version === 2 ? 2 : 1, fail);
  const { paramCount, lossCount } = header;
  const expected = PREFIX_BYTES + headerBytes + 4 * (paramCount + lossCount) + trailer;
  if (bytes.length !== expected) {
    fail(`is ${bytes.length} bytes; its header announces ${paramCount} weights and ${lossCount} losses, ${expected} bytes in all (truncated?).`);
  }
  // Copy out: the caller's bytes may not be 4-byte aligned.
  const floats = new Float32Array(body.slice(PREFIX_BYTES + headerBytes).buffer);
  return {
    savedAt: header.savedAt,
    runId: header.runId,
    config: header.config,
    datasetId: header.datasetId,
    model: header.config.model,
    round: header.round,
    trainMs: header.trainMs,
    learningRate: header.learningRate,
    fullAccuracy: header.fullAccuracy,
    totals: header.totals,
    history: header.history,
    theta: floats.slice(0, paramCount),
    losses: floats.slice(paramCount, paramCount + lossCount),
    checksum: version === 2 ? 'sha256' : 'none (version 1)',
  };
}

/** Refuses `bytes` unless its last 32 bytes are the SHA-256 of the rest. */
function verifyChecksum(bytes: Uint8Array, fail: Fail): void {
  const at = bytes.length - CHECKSUM_BYTES;
  const stored = bytesToHex(bytes.subarray(at));
  const computed = bytesToHex(sha256(bytes.subarray(0, at)));
  if (stored !== computed) {
    fail(
      `checksum mismatch: the file is damaged (its trailer records SHA-256 ${stored.slice(0, 8)}..., ` +
        `its first ${at} bytes hash to ${computed.slice(0, 8)}...; a byte was changed or the file was cut short).`,
    );
  }
}

/** A value as an error message shows it: NaN as NaN (JSON would say null), long JSON cut short. */
function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number') return String(v);
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function finite(v: unknown, field: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field} is ${show(v)}; expected a finite number.`);
  return v as number;
}

function whole(v: unknown, field: string, fail: Fail): number {
  if (!Number.isInteger(v) || (v as number) < 0) fail(`${field} is ${show(v)}; expected a whole number.`);
  return v as number;
}

function text(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || v === '') fail(`${field} is ${show(v)}; expected a non-empty string.`);
  return v as string;
}

function record(v: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${field} is ${show(v)}; expected an object.`);
  return v as Record<string, unknown>;
}

/**
 * Checks a parsed header of `version` and returns it typed. Version 1 has no
 * runId, fullAccuracy or totals: they are filled so the run still reads as one
 * (`v1-` + savedAt) whose totals are unknown.
 */
function readHeader(raw: unknown, version: 1 | 2, fail: Fail): Header {
  const h = record(raw, 'header', fail);
  const paramCount = whole(h['paramCount'], 'header paramCount', fail);
  const lossCount = whole(h['lossCount'], 'header lossCount', fail);
  const round = whole(h['round'], 'round', fail);
  let config: RunConfig;
  try {
    config = validateConfig(h['config']);
  } catch (e) {
    return fail(`its config is invalid: ${messageOf(e)}`);
  }
  const datasetId = h['datasetId'];
  if (typeof datasetId !== 'string' || h['model'] !== config.model) {
    fail(`dataset ${show(datasetId)} / model ${show(h['model'])} do not match its config.`);
  }
  const history = h['history'];
  if (!Array.isArray(history)) return fail(`history is ${show(history)}; expected a list.`);
  const trainMs = finite(h['trainMs'], 'trainMs', fail);
  const learningRate = finite(h['learningRate'], 'learningRate', fail);
  const savedAt = String(h['savedAt']);
  const common = { savedAt, config, datasetId: datasetId as string, model: config.model, round, trainMs, learningRate };
  const arrays = { history: history as RoundEvent[], paramCount, lossCount };
  if (version === 1) return { ...common, ...arrays, runId: `v1-${savedAt}`, fullAccuracy: null, totals: null };
  const fullAccuracy = h['fullAccuracy'];
  if (fullAccuracy !== null && (typeof fullAccuracy !== 'number' || !(fullAccuracy >= 0 && fullAccuracy <= 1))) {
    fail(`fullAccuracy is ${show(fullAccuracy)}; expected a number from 0 to 1, or null.`);
  }
  return {
    ...common,
    ...arrays,
    runId: text(h['runId'], 'runId', fail),
    fullAccuracy: fullAccuracy as number | null,
    totals: readTotals(h['totals'], fail),
  };
}

/** Checks `totals` field by field (a list of workers included); null stays null. */
function readTotals(v: unknown, fail: Fail): RunTotals | null {
  if (v === null) return null;
  const t = record(v, 'totals', fail);
  const w = record(t['wholeTestSet'], 'totals.wholeTestSet', fail);
  const workers = t['workers'];
  if (!Array.isArray(workers)) return fail(`totals.workers is ${show(workers)}; expected a list.`);
  return {
    wallMs: finite(t['wallMs'], 'totals.wallMs', fail),
    profileMs: finite(t['profileMs'], 'totals.profileMs', fail),
    evalMs: finite(t['evalMs'], 'totals.evalMs', fail),
    aggregateMs: finite(t['aggregateMs'], 'totals.aggregateMs', fail),
    exchangeMs: finite(t['exchangeMs'], 'totals.exchangeMs', fail),
    wholeTestSet: {
      evaluations: whole(w['evaluations'], 'totals.wholeTestSet.evaluations', fail),
      workers: whole(w['workers'], 'totals.wholeTestSet.workers', fail),
      ms: finite(w['ms'], 'totals.wholeTestSet.ms', fail),
      sliceMs: finite(w['sliceMs'], 'totals.wholeTestSet.sliceMs', fail),
    },
    workers: workers.map((item: unknown, i) => {
      const field = `totals.workers[${i}]`;
      const r = record(item, field, fail);
      return {
        id: whole(r['id'], `${field}.id`, fail),
        backend: text(r['backend'], `${field}.backend`, fail),
        steps: whole(r['steps'], `${field}.steps`, fail),
        samples: whole(r['samples'], `${field}.samples`, fail),
        busyMs: finite(r['busyMs'], `${field}.busyMs`, fail),
        idleMs: finite(r['idleMs'], `${field}.idleMs`, fail),
      };
    }),
  };
}
