/**
 * Checkpoints saved in this browser, the last few of every run. Each save is
 * filed under its run (checkpoint.runId) and the time it was stored, so tabs
 * training different runs never write over each other, and a new save
 * deletes only its own run's oldest beyond that run's keepSaves. Values are
 * format.ts's encoded bytes: reading a save checks it (checksum) as reading a
 * file does, and a save that fails is listed as damaged, with the reason.
 *
 * SaveStore holds the rules and is tested in Node over a Map; IndexedDbSaves
 * is the browser's storage behind the SaveBackend interface.
 *
 * IndexedDB layout, database `tandem` version 2: object store `checkpoints`,
 * keys [runId, savedMs, nonce]. Version 1 held one save under the string key
 * 'latest'; the upgrade moves it under a key of its own run (legacySaveId).
 * Writes hold the Web Lock `tandem-checkpoints` where the browser has Web
 * Locks, and each write is one IndexedDB transaction.
 */
import { messageOf } from '../core/errors';
import type { CheckpointSummary, SavedEntry } from '../protocol';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint, type DecodedCheckpoint } from './format';
import { checkImport } from './validate';

const DB_NAME = 'tandem';
const DB_VERSION = 2;
const STORE = 'checkpoints';
/** Version 1's only key. */
const V1_KEY = 'latest';
export const LOCK_NAME = 'tandem-checkpoints';
/** The run a version-1 save is filed under when its bytes cannot be read to learn its own. */
export const LEGACY_RUN_ID = 'saved-before-version-2';

/** Where one save lives: its run, when it was stored (ms since 1970), and a tie-break for two saves in one ms. */
export type SaveId = readonly [runId: string, savedMs: number, nonce: string];

/** A save as read back: decoded, or damaged with the reason. */
export type StoredSave =
  | { readonly id: SaveId; readonly state: 'ok'; readonly checkpoint: DecodedCheckpoint }
  | { readonly id: SaveId; readonly state: 'damaged'; readonly reason: string };

/**
 * What listing keeps of one save: its summary (the listing counts the run's
 * saves), or why it is damaged. A save is never rewritten under its id, so
 * this is read once per save and kept.
 */
export type ListedSave =
  | { readonly id: SaveId; readonly state: 'ok'; readonly summary: Omit<CheckpointSummary, 'saves'> }
  | { readonly id: SaveId; readonly state: 'damaged'; readonly reason: string };

/** What a key of savedRuns() names: all of a run's saves, or one save. */
export type SaveTarget = { readonly kind: 'run'; readonly runId: string } | { readonly kind: 'save'; readonly id: SaveId };

/** A key that savedRuns() did not give. */
export class SaveKeyError extends Error {
  override readonly name = 'SaveKeyError';
}

/** `resumeSaved(key)` or `discardSaved(key)` named nothing that is stored (discarded meanwhile, maybe in another tab). */
export class SaveNotFoundError extends Error {
  override readonly name = 'SaveNotFoundError';
}

// ---------------------------------------------------------------- pure rules

export function runKey(runId: string): string {
  return `run:${runId}`;
}

export function saveKey(id: SaveId): string {
  return `save:${JSON.stringify(id)}`;
}

export function isSaveId(v: unknown): v is SaveId {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && Number.isFinite(v[1]) && typeof v[2] === 'string';
}

export function parseKey(key: string): SaveTarget {
  if (key.startsWith('run:') && key.length > 4) return { kind: 'run', runId: key.slice(4) };
  if (key.startsWith('save:')) {
    let id: unknown = null;
    try {
      id = JSON.parse(key.slice(5));
    } catch {
      // Reported below with the allowed forms.
    }
    if (isSaveId(id)) return { kind: 'save', id };
  }
  throw new SaveKeyError(`Unknown saved-run key ${JSON.stringify(key)}; expected "run:<runId>" or "save:[...]" as savedRuns() gives them.`);
}

/** Oldest first: by time stored, then nonce. */
export function compareSaves(a: SaveId, b: SaveId): number {
  return a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/** The saves of `runId` beyond its newest `keep`, oldest first. Another run's save is never among them. */
export function savesToDelete(ids: readonly SaveId[], runId: string, keep: number): SaveId[] {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep is ${keep}; expected an integer of at least 1.`);
  const own = ids.filter((id) => id[0] === runId).sort(compareSaves);
  return own.slice(0, Math.max(0, own.length - keep));
}

/**
 * Where version 1's single save moves: under its own run (format.ts names a
 * version-1 run `v1-<savedAt>`) at its save time; bytes that cannot be read
 * move too, under LEGACY_RUN_ID, to be listed as damaged.
 */
export function legacySaveId(value: unknown): SaveId {
  try {
    if (!(value instanceof Uint8Array)) throw new CheckpointError('not bytes');
    const c = decodeCheckpoint('saved by version 1', value);
    const ms = Date.parse(c.savedAt);
    return [c.runId, Number.isFinite(ms) ? ms : 0, 'v1'];
  } catch {
    return [LEGACY_RUN_ID, 0, 'v1'];
  }
}

/** The first 8 characters of a run id: enough to tell a browser's runs apart on screen. */
export function shortRunId(runId: string): string {
  return runId.length <= 8 ? runId : runId.slice(0, 8);
}

/** Decodes one stored value; anything unreadable is a damaged save, never an exception. */
export function readStored(id: SaveId, value: unknown): StoredSave {
  const name = `saved in this browser (run ${shortRunId(id[0])}, ${new Date(id[1]).toISOString()})`;
  if (!(value instanceof Uint8Array)) {
    return { id, state: 'damaged', reason: `Checkpoint ${name}: the stored value is ${value === null ? 'null' : typeof value}, not checkpoint bytes.` };
  }
  try {
    return { id, state: 'ok', checkpoint: decodeCheckpoint(name, value) };
  } catch (e) {
    return { id, state: 'damaged', reason: messageOf(e) };
  }
}

/** What the page and `window.tandem` show of one save, but for how many saves its run has (the caller counts them). */
export function summarize(c: DecodedCheckpoint, key: string): Omit<CheckpointSummary, 'saves'> {
  const evaluated = c.history.filter((e) => typeof e.accuracy === 'number');
  // The whole test set's figure for the saved model: the checkpoint's own, or its round's (when evalSamples covered the whole set).
  const atRound = c.history.find((e) => e.round === c.round && typeof e.fullAccuracy === 'number');
  return {
    key,
    runId: c.runId,
    savedAt: c.savedAt,
    round: c.round,
    trainMs: c.trainMs,
    algo: c.config.algo,
    dataset: c.datasetId,
    model: c.model,
    fullAccuracy: c.fullAccuracy ?? atRound?.fullAccuracy ?? null,
    accuracy: evaluated.at(-1)?.accuracy ?? null,
    evalSamples: c.config.evalSamples,
    verified: c.checksum === 'sha256',
  };
}

/**
 * The list savedRuns() gives, newest first: each run once, at its newest
 * readable save (keyed by the run), and every damaged save on its own (keyed
 * by the save). A run whose saves are all damaged shows only those.
 */
export function savedEntries(saves: readonly ListedSave[]): SavedEntry[] {
  const byRun = new Map<string, ListedSave[]>();
  for (const s of saves) byRun.set(s.id[0], [...(byRun.get(s.id[0]) ?? []), s]);
  const entries: { at: SaveId; entry: SavedEntry }[] = [];
  for (const [runId, own] of byRun) {
    const newest = own
      .filter((s): s is Extract<ListedSave, { state: 'ok' }> => s.state === 'ok')
      .sort((a, b) => compareSaves(b.id, a.id))[0];
    if (newest) entries.push({ at: newest.id, entry: { state: 'ok', ...newest.summary, saves: own.length } });
    for (const s of own) {
      if (s.state === 'damaged') {
        entries.push({ at: s.id, entry: { state: 'damaged', key: saveKey(s.id), runId, savedAt: new Date(s.id[1]).toISOString(), reason: s.reason } });
      }
    }
  }
  return entries.sort((a, b) => compareSaves(b.at, a.at)).map((e) => e.entry);
}

/**
 * The save `target` picks: a save by its id; a run's newest readable save;
 * with no target, the newest readable save of any run. Where only damaged
 * saves match, the newest of them (its reason is what the caller reports);
 * null when nothing matches.
 */
export function pickSave<S extends StoredSave | ListedSave>(saves: readonly S[], target: SaveTarget | null): S | null {
  if (target?.kind === 'save') return saves.find((s) => compareSaves(s.id, target.id) === 0 && s.id[0] === target.id[0]) ?? null;
  const matching = saves.filter((s) => target === null || s.id[0] === target.runId).sort((a, b) => compareSaves(b.id, a.id));
  return matching.find((s) => s.state === 'ok') ?? matching[0] ?? null;
}

// ---------------------------------------------------------------- storage

/** One stored value with its id. */
export interface RawSave {
  readonly id: SaveId;
  readonly value: unknown;
}

/** Where saves live: IndexedDB on the page, a Map in tests. Each call is atomic. */
export interface SaveBackend {
  /** The ids of every save (of one run, with `runId`): keys only, no bytes read. */
  ids(runId?: string): Promise<SaveId[]>;
  /** The saves stored under `ids`; an id with nothing under it (deleted meanwhile) is left out. */
  get(ids: readonly SaveId[]): Promise<RawSave[]>;
  /**
   * Stores `bytes` under `id`; then, in the same transaction, hands the
   * ids of `id`'s run to `prune` and deletes those it returns.
   */
  put(id: SaveId, bytes: Uint8Array, prune: (runIds: readonly SaveId[]) => readonly SaveId[]): Promise<void>;
  /** Every save (of one run, with `runId`), as stored. */
  read(runId?: string): Promise<RawSave[]>;
  /** Deletes every save of a run, or one save. */
  remove(target: SaveTarget): Promise<void>;
}

/** Ids for new saves: the clock and the tie-break (fixed in tests). */
export interface SaveClock {
  now(): number;
  nonce(): string;
}

const SYSTEM_CLOCK: SaveClock = {
  now: () => Date.now(),
  nonce: () => Math.random().toString(36).slice(2, 10).padEnd(8, '0'),
};

/** The saved runs of this browser: what the engine saves, what is imported, listed, resumed and discarded. */
export class SaveStore {
  /** Every save listed so far, by saveKey: the listing reads only the bytes of saves it has not seen. */
  private readonly listed = new Map<string, ListedSave>();

  constructor(
    private readonly backend: SaveBackend,
    private readonly clock: SaveClock = SYSTEM_CLOCK,
  ) {}

  /** The engine's save of a running run: beside the run's earlier saves, the oldest beyond config.keepSaves deleted. */
  async save(checkpoint: Checkpoint): Promise<void> {
    const keep = checkpoint.config.keepSaves;
    const id: SaveId = [checkpoint.runId, this.clock.now(), this.clock.nonce()];
    await this.backend.put(id, encodeCheckpoint(checkpoint), (ids) => savesToDelete(ids, checkpoint.runId, keep));
  }

  /**
   * A checkpoint file brought in by the user. It is decoded (checksum) and
   * checked (checkImport) before anything is written, then stored as given,
   * beside every save already here: nothing is pruned, so an import never
   * costs a save. Resolves to its summary; refused with the reason.
   */
  async import(bytes: Uint8Array, name: string): Promise<CheckpointSummary> {
    const checkpoint = decodeCheckpoint(name, bytes);
    checkImport(checkpoint, name);
    const id: SaveId = [checkpoint.runId, this.clock.now(), this.clock.nonce()];
    // A copy: the caller's view may be of a larger buffer, or change later.
    await this.backend.put(id, bytes.slice(), () => []);
    const own = await this.backend.ids(checkpoint.runId);
    return { ...summarize(checkpoint, runKey(checkpoint.runId)), saves: own.length };
  }

  /** Every save, decoded or marked damaged. */
  async list(runId?: string): Promise<StoredSave[]> {
    return (await this.backend.read(runId)).map((raw) => readStored(raw.id, raw.value));
  }

  async entries(): Promise<SavedEntry[]> {
    return savedEntries(await this.listAll());
  }

  /** The newest readable save of any run, summarised; null when none is stored; its reason when all are damaged. */
  async newest(): Promise<CheckpointSummary | null> {
    const saves = await this.listAll();
    const picked = pickSave(saves, null);
    if (picked === null) return null;
    if (picked.state === 'damaged') throw new CheckpointError(picked.reason);
    return { ...picked.summary, saves: saves.filter((s) => s.id[0] === picked.id[0]).length };
  }

  /**
   * The checkpoint `key` names (see pickSave), or the newest readable one
   * with no key; null when nothing is saved. Throws the reason when what it
   * names is damaged, SaveNotFoundError when a key names nothing stored.
   */
  async load(key?: string): Promise<Checkpoint | null> {
    const target = key === undefined ? null : parseKey(key);
    const picked = pickSave(await this.list(target?.kind === 'run' ? target.runId : target?.id[0]), target);
    if (picked === null) {
      if (key === undefined) return null;
      throw new SaveNotFoundError(`Nothing saved in this browser under ${key}: it was discarded, perhaps in another tab.`);
    }
    if (picked.state === 'damaged') throw new CheckpointError(picked.reason);
    return picked.checkpoint;
  }

  /** Deletes what `key` names: a run (every save of it) or one save. */
  async discard(key: string): Promise<void> {
    await this.backend.remove(parseKey(key));
  }

  /**
   * Every save, summarised. Only the saves not listed before are read and
   * decoded: reading them all would take the main thread longer with every
   * run this browser keeps (each save holds its model and loss table).
   * Saves deleted since, here or in another tab, drop out.
   */
  private async listAll(): Promise<ListedSave[]> {
    const ids = await this.backend.ids();
    const keys = ids.map(saveKey);
    const stored = new Set(keys);
    for (const key of this.listed.keys()) if (!stored.has(key)) this.listed.delete(key);
    const unread = ids.filter((_, i) => !this.listed.has(keys[i] ?? ''));
    for (const raw of await this.backend.get(unread)) {
      const read = readStored(raw.id, raw.value);
      this.listed.set(
        saveKey(raw.id),
        read.state === 'ok' ? { id: raw.id, state: 'ok', summary: summarize(read.checkpoint, runKey(raw.id[0])) } : read,
      );
    }
    return keys.flatMap((key) => this.listed.get(key) ?? []);
  }
}

/** Runs `f` holding the checkpoints' Web Lock, so two tabs' writes do not interleave; without Web Locks, just runs it. */
async function withLock<T>(f: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return f();
  return (await locks.request(LOCK_NAME, f)) as T;
}

/** Every save's key: arrays sort after version 1's string key, and [runId] before any [runId, ...]. */
function range(runId?: string): IDBKeyRange {
  return runId === undefined ? IDBKeyRange.lowerBound([]) : IDBKeyRange.bound([runId], [runId, []]);
}

/** The store's keys that are save ids (version 1's string key is not). */
function saveIdsOf(keys: readonly unknown[]): SaveId[] {
  return keys.filter(isSaveId);
}

/** The browser's saves: IndexedDB, one short-lived connection per call. */
export class IndexedDbSaves implements SaveBackend {
  put(id: SaveId, bytes: Uint8Array, prune: (runIds: readonly SaveId[]) => readonly SaveId[]): Promise<void> {
    return withLock(() =>
      this.transact('readwrite', (store) => {
        store.put(bytes, [...id]);
        // Requests in one transaction run in order: the keys include the save just put.
        const keys = store.getAllKeys(range(id[0]));
        keys.onsuccess = () => {
          for (const old of prune(saveIdsOf(keys.result))) store.delete([...old]);
        };
        return () => undefined;
      }),
    );
  }

  ids(runId?: string): Promise<SaveId[]> {
    return this.transact('readonly', (store) => {
      const keys = store.getAllKeys(range(runId));
      return () => saveIdsOf(keys.result);
    });
  }

  get(ids: readonly SaveId[]): Promise<RawSave[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.transact('readonly', (store) => {
      // getAll over the one key, not get: it tells a deleted save (no entry) from a stored undefined (listed as damaged).
      const requests = ids.map((id) => ({ id, request: store.getAll(IDBKeyRange.only([...id])) }));
      return () => requests.flatMap(({ id, request }): RawSave[] => (request.result.length === 0 ? [] : [{ id, value: request.result[0] as unknown }]));
    });
  }

  read(runId?: string): Promise<RawSave[]> {
    return this.transact('readonly', (store) => {
      const keys = store.getAllKeys(range(runId));
      const values = store.getAll(range(runId));
      return () =>
        keys.result.flatMap((key: unknown, i): RawSave[] => (isSaveId(key) ? [{ id: key, value: values.result[i] as unknown }] : []));
    });
  }

  remove(target: SaveTarget): Promise<void> {
    return withLock(() =>
      this.transact('readwrite', (store) => {
        store.delete(target.kind === 'run' ? range(target.runId) : [...target.id]);
        return () => undefined;
      }),
    );
  }

  /** Runs `body`'s requests in one transaction; resolves to what its returned reader gives once the transaction is complete. */
  private async transact<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => () => T): Promise<T> {
    const db = await openDb();
    try {
      return await new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const result = body(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(result());
        tx.onerror = () => reject(new Error(`IndexedDB ${mode} failed: ${tx.error?.message ?? 'unknown error'}`));
        tx.onabort = () => reject(new Error(`IndexedDB ${mode} aborted: ${tx.error?.message ?? 'quota exceeded?'}`));
      });
    } finally {
      db.close();
    }
  }
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore(STORE);
        return;
      }
      const tx = request.transaction;
      if (event.oldVersion < 2 && tx) migrateV1(tx.objectStore(STORE));
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB ${DB_NAME} could not be opened: ${request.error?.message ?? 'unknown error'}`));
  });
}

/** Moves version 1's single save under its run's key, within the upgrade's transaction: kept, damaged or not. */
function migrateV1(store: IDBObjectStore): void {
  const old = store.get(V1_KEY);
  old.onsuccess = () => {
    const value: unknown = old.result;
    if (value === undefined) return;
    store.put(value, [...legacySaveId(value)]);
    store.delete(V1_KEY);
  };
}

/** This page's saves. */
export const browserSaves = new SaveStore(new IndexedDbSaves());
