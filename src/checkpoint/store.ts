/**
 * The latest checkpoint of this page's origin in IndexedDB, as the encoded
 * bytes of src/checkpoint/format.ts, so a reloaded page can offer to resume.
 */
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './format';

const DB_NAME = 'tandem';
const STORE = 'checkpoints';
const KEY = 'latest';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB ${DB_NAME} could not be opened: ${request.error?.message ?? 'unknown error'}`));
  });
}

async function transact<T>(mode: IDBTransactionMode, f: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = f(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(new Error(`IndexedDB ${mode} failed: ${tx.error?.message ?? 'unknown error'}`));
      tx.onabort = () => reject(new Error(`IndexedDB ${mode} aborted: ${tx.error?.message ?? 'quota exceeded?'}`));
    });
  } finally {
    db.close();
  }
}

export async function saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
  await transact('readwrite', (s) => s.put(encodeCheckpoint(checkpoint), KEY));
}

/** The saved checkpoint, or null; a damaged one is reported, not silently dropped. */
export async function loadCheckpoint(): Promise<Checkpoint | null> {
  const bytes = await transact('readonly', (s) => s.get(KEY) as IDBRequest<Uint8Array | undefined>);
  return bytes ? decodeCheckpoint('saved in this browser', bytes) : null;
}

export async function clearCheckpoint(): Promise<void> {
  await transact('readwrite', (s) => s.delete(KEY));
}
