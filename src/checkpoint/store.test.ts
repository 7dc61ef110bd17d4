import { versionOne } from './format-fixture';
import { describe, expect, it } from 'vitest';
import { validateConfig, type RunConfig } from '../core/config';
import { modelSpec, paramCount } from '../models/spec';
import type { RoundEvent } from '../protocol';
import { CheckpointError, encodeCheckpoint, type Checkpoint } from './format';
import {
  LEGACY_RUN_ID,
  SaveKeyError,
  SaveNotFoundError,
  SaveStore,
  compareSaves,
  legacySaveId,
  parseKey,
  runKey,
  saveKey,
  savesToDelete,
  type RawSave,
  type SaveBackend,
  type SaveId,
  type SaveTarget,
} from './store';

const WEIGHTS = paramCount(modelSpec('cnn', [28, 28, 1], 10));

/** A fashion-mnist cnn checkpoint of `runId` at `round`, as the engine saves one. */
function checkpoint(runId: string, round: number, config: Partial<RunConfig> = {}, over: Partial<Checkpoint> = {}): Checkpoint {
  return {
    savedAt: new Date(Date.UTC(2026, 0, 1, 0, round)).toISOString(),
    runId,
    config: validateConfig({ model: 'cnn', dataset: 'fashion-mnist', ...config }),
    datasetId: 'fashion-mnist',
    model: 'cnn',
    round,
    trainMs: 1000 * round,
    learningRate: 0.05,
    fullAccuracy: null,
    totals: null,
    history: [{ round, loss: 0.5, accuracy: 0.7 } as RoundEvent],
    theta: new Float32Array(WEIGHTS).fill(round / 100),
    losses: new Float32Array(60_000).fill(Number.POSITIVE_INFINITY),
    ...over,
  };
}

/** IndexedDB's behaviour in a Map: keys in [runId, savedMs, nonce] order, each call atomic. */
class MemoryBackend implements SaveBackend {
  readonly saves = new Map<string, RawSave>();
  puts = 0;
  /** Values read by get(): what listing costs. */
  valuesRead = 0;

  async put(id: SaveId, bytes: Uint8Array, prune: (ids: readonly SaveId[]) => readonly SaveId[]): Promise<void> {
    this.puts++;
    this.saves.set(JSON.stringify(id), { id, value: bytes });
    for (const old of prune(this.idsOf(id[0]))) this.saves.delete(JSON.stringify(old));
  }

  async ids(runId?: string): Promise<SaveId[]> {
    return this.idsOf(runId);
  }

  async get(ids: readonly SaveId[]): Promise<RawSave[]> {
    this.valuesRead += ids.length;
    return ids.flatMap((id) => this.saves.get(JSON.stringify(id)) ?? []);
  }

  async read(runId?: string): Promise<RawSave[]> {
    return this.idsOf(runId).map((id) => this.saves.get(JSON.stringify(id)) as RawSave);
  }

  async remove(target: SaveTarget): Promise<void> {
    for (const id of this.idsOf(target.kind === 'run' ? target.runId : target.id[0])) {
      if (target.kind === 'run' || compareSaves(id, target.id) === 0) this.saves.delete(JSON.stringify(id));
    }
  }

  /** A copy of every stored value, to compare before and after. */
  snapshot(): [string, number[]][] {
    return [...this.saves].map(([k, v]) => [k, Array.from(v.value as Uint8Array)]);
  }

  private idsOf(runId?: string): SaveId[] {
    return [...this.saves.values()]
      .map((s) => s.id)
      .filter((id) => runId === undefined || id[0] === runId)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : compareSaves(a, b)));
  }
}

function setup() {
  const backend = new MemoryBackend();
  let now = 1_000;
  let nonce = 0;
  const store = new SaveStore(backend, { now: () => (now += 10), nonce: () => `n${nonce++}` });
  return { backend, store };
}

const rounds = async (store: SaveStore, runId: string) =>
  (await store.list(runId)).map((s) => (s.state === 'ok' ? s.checkpoint.round : s.reason));

describe('savesToDelete', () => {
  const ids: SaveId[] = [
    ['b', 5, 'x'],
    ['a', 30, 'x'],
    ['a', 10, 'x'],
    ['a', 20, 'y'],
    ['a', 20, 'x'],
  ];

  it("names a run's oldest saves beyond `keep`, oldest first, and no other run's", () => {
    expect(savesToDelete(ids, 'a', 2)).toEqual([
      ['a', 10, 'x'],
      ['a', 20, 'x'],
    ]);
    expect(savesToDelete(ids, 'a', 4)).toEqual([]);
    expect(savesToDelete(ids, 'b', 1)).toEqual([]);
    expect(savesToDelete(ids, 'c', 1)).toEqual([]);
  });

  it('refuses a keep below 1', () => {
    expect(() => savesToDelete(ids, 'a', 0)).toThrow('keep is 0; expected an integer of at least 1.');
  });
});

describe('keys', () => {
  it('round-trip a run and a save, and name the forms a bad key may take', () => {
    expect(parseKey(runKey('r/1'))).toEqual({ kind: 'run', runId: 'r/1' });
    const id: SaveId = ['run:x', 12, 'abc'];
    expect(parseKey(saveKey(id))).toEqual({ kind: 'save', id });
    expect(() => parseKey('latest')).toThrow(SaveKeyError);
    expect(() => parseKey('save:[1,2]')).toThrow('Unknown saved-run key "save:[1,2]"; expected "run:<runId>" or "save:[...]"');
  });
});

describe('legacySaveId', () => {
  it("moves version 1's save under its own run at its save time, or under LEGACY_RUN_ID when unreadable", () => {
    const c = checkpoint('ignored', 7);
    // A version-1 file: the version-2 layout without runId, fullAccuracy, totals and the checksum trailer.
    const v1 = versionOne(c);
    expect(legacySaveId(v1)).toEqual([`v1-${c.savedAt}`, Date.parse(c.savedAt), 'v1']);
    expect(legacySaveId(v1.subarray(0, 20))).toEqual([LEGACY_RUN_ID, 0, 'v1']);
    expect(legacySaveId('not bytes')).toEqual([LEGACY_RUN_ID, 0, 'v1']);
  });
});

describe('SaveStore', () => {
  it('keeps the newest keepSaves saves of a run', async () => {
    const { store } = setup();
    for (let round = 1; round <= 5; round++) await store.save(checkpoint('A', round, { keepSaves: 2 }));
    expect(await rounds(store, 'A')).toEqual([4, 5]);
    await store.save(checkpoint('A', 6, { keepSaves: 3 }));
    expect(await rounds(store, 'A')).toEqual([4, 5, 6]);
  });

  it("never deletes another run's saves", async () => {
    const { store, backend } = setup();
    for (let round = 1; round <= 3; round++) await store.save(checkpoint('B', round, { keepSaves: 3 }));
    const bBefore = JSON.stringify(backend.snapshot());
    for (let round = 1; round <= 4; round++) await store.save(checkpoint('A', round, { keepSaves: 1 }));
    expect(await rounds(store, 'A')).toEqual([4]);
    expect(await rounds(store, 'B')).toEqual([1, 2, 3]);
    const bAfter = backend.snapshot().filter(([k]) => k.startsWith('["B"'));
    expect(JSON.stringify(bAfter)).toBe(bBefore);
  });

  it('refuses a damaged or inconsistent import and leaves the store as it was', async () => {
    const { store, backend } = setup();
    await store.save(checkpoint('A', 3));
    const before = backend.snapshot();
    const puts = backend.puts;

    const damaged = encodeCheckpoint(checkpoint('B', 9));
    damaged[damaged.length - 100] = (damaged[damaged.length - 100] ?? 0) ^ 1;
    await expect(store.import(damaged, 'b.tandem')).rejects.toThrow(/^Checkpoint b\.tandem: checksum mismatch/);

    const mismatch = encodeCheckpoint(checkpoint('B', 9, {}, { theta: new Float32Array(WEIGHTS + 1) }));
    await expect(store.import(mismatch, 'c.tandem')).rejects.toThrow(`theta holds ${WEIGHTS + 1} weights; cnn on fashion-mnist has ${WEIGHTS}`);

    const nan = checkpoint('B', 9);
    nan.theta[5] = Number.NaN;
    await expect(store.import(encodeCheckpoint(nan), 'd.tandem')).rejects.toBeInstanceOf(CheckpointError);

    expect(backend.puts).toBe(puts);
    expect(backend.snapshot()).toEqual(before);
  });

  it('stores an accepted import beside the saves already here, pruning none, even of its own run', async () => {
    const { store } = setup();
    await store.save(checkpoint('A', 8, { keepSaves: 1 }));
    await store.save(checkpoint('B', 1));
    const summary = await store.import(encodeCheckpoint(checkpoint('A', 4, { keepSaves: 1 })), 'old-a.tandem');
    expect(summary).toMatchObject({ key: 'run:A', runId: 'A', round: 4, saves: 2, verified: true });
    expect(await rounds(store, 'A')).toEqual([8, 4]);
    expect(await rounds(store, 'B')).toEqual([1]);
    // The import is A's newest save, so it is what resuming A continues, until A saves again.
    expect((await store.load('run:A'))?.round).toBe(4);
    await store.save(checkpoint('A', 5, { keepSaves: 1 }));
    expect(await rounds(store, 'A')).toEqual([5]);
  });

  it('lists each run at its newest readable save and every damaged save on its own, hiding nothing', async () => {
    const { store, backend } = setup();
    await store.save(checkpoint('A', 1));
    await store.save(checkpoint('A', 2, {}, { fullAccuracy: 0.875 }));
    await store.save(checkpoint('B', 7, { evalSamples: 500 }));
    // Evaluated on all its test images at its own round: that figure is the whole test set's.
    await store.save(checkpoint('C', 5, {}, { history: [{ round: 5, loss: 0.4, accuracy: 0.9, fullAccuracy: 0.9 } as RoundEvent] }));
    await store.save(checkpoint('A', 3));
    // A's newest save is damaged: A is listed at round 2, the damaged save beside it.
    const newestA = [...backend.saves.values()].filter((s) => s.id[0] === 'A').at(-1) as RawSave;
    const bytes = newestA.value as Uint8Array;
    bytes[40] = (bytes[40] ?? 0) ^ 0xff;
    backend.saves.set('["Z",1,"n"]', { id: ['Z', 1, 'n'], value: 'junk' });

    const entries = await store.entries();
    expect(entries.map((e) => [e.state, e.runId])).toEqual([
      ['damaged', 'A'],
      ['ok', 'C'],
      ['ok', 'B'],
      ['ok', 'A'],
      ['damaged', 'Z'],
    ]);
    const [damagedA, c, b, a, z] = entries;
    expect(c).toMatchObject({ key: 'run:C', fullAccuracy: 0.9 });
    expect(damagedA).toMatchObject({ key: saveKey(newestA.id), reason: expect.stringMatching(/run A, .*: checksum mismatch/) as unknown });
    expect(b).toMatchObject({ key: 'run:B', round: 7, accuracy: 0.7, evalSamples: 500, fullAccuracy: null, saves: 1 });
    expect(a).toMatchObject({ key: 'run:A', round: 2, fullAccuracy: 0.875, saves: 3 });
    expect(z).toMatchObject({ key: 'save:["Z",1,"n"]', reason: expect.stringContaining('the stored value is string, not checkpoint bytes') as unknown });

    // The newest readable save of any run; a damaged save named by its key says why it cannot be resumed.
    expect((await store.newest())?.runId).toBe('C');
    expect((await store.load())?.runId).toBe('C');
    await expect(store.load(damagedA?.key)).rejects.toThrow('checksum mismatch');
    await expect(store.load('run:nobody')).rejects.toBeInstanceOf(SaveNotFoundError);
  });

  it("reads a save's bytes once for listing: later listings read only new saves, and drop deleted ones", async () => {
    const { store, backend } = setup();
    for (const run of ['A', 'B', 'C']) for (const round of [1, 2]) await store.save(checkpoint(run, round));
    expect((await store.entries()).map((e) => e.runId)).toEqual(['C', 'B', 'A']);
    expect(backend.valuesRead).toBe(6);

    await store.save(checkpoint('D', 1));
    await store.save(checkpoint('A', 3));
    const entries = await store.entries();
    expect(backend.valuesRead).toBe(8);
    expect(entries.map((e) => [e.runId, e.state === 'ok' ? [e.round, e.saves] : e.reason])).toEqual([
      ['A', [3, 3]],
      ['D', [1, 1]],
      ['C', [2, 2]],
      ['B', [2, 2]],
    ]);

    // Deleted behind this store's back, as another tab would: gone from the list, nothing read.
    await backend.remove({ kind: 'run', runId: 'C' });
    expect((await store.entries()).map((e) => e.runId)).toEqual(['A', 'D', 'B']);
    expect((await store.newest())?.runId).toBe('A');
    expect(backend.valuesRead).toBe(8);
  });

  it('discards a whole run by its key and a single save by its own', async () => {
    const { store } = setup();
    await store.save(checkpoint('A', 1));
    await store.save(checkpoint('A', 2));
    await store.save(checkpoint('B', 1));
    const [oldestA] = (await store.list('A')).map((s) => s.id);
    await store.discard(saveKey(oldestA as SaveId));
    expect(await rounds(store, 'A')).toEqual([2]);
    await store.discard('run:A');
    expect(await rounds(store, 'A')).toEqual([]);
    expect(await rounds(store, 'B')).toEqual([1]);
    expect(await store.load('run:B')).not.toBeNull();
  });

  it('reports nothing saved as null, and only damage as the reason', async () => {
    const { store, backend } = setup();
    expect(await store.newest()).toBeNull();
    expect(await store.load()).toBeNull();
    backend.saves.set('["Z",1,"n"]', { id: ['Z', 1, 'n'], value: new Uint8Array(3) });
    await expect(store.newest()).rejects.toThrow('3 bytes is shorter than the 12-byte header');
  });
});
