/** A trainer in its own browser Worker, reached through comlink. */
import { wrap } from 'comlink';
import { DEVICE_LOST_MESSAGE, type TrainerApi } from '../protocol';
import { guardedHandle, initHandle, type TrainerCalls, type WorkerFactory } from './worker-handle';

export const startBrowserWorker: WorkerFactory = async (id, backend, policy, model, views) => {
  const worker = new Worker(new URL('../workers/trainer.worker.ts', import.meta.url), {
    type: 'module',
    name: `tandem-${id}-${backend}`,
  });
  // comlink's Remote<TrainerApi> is TrainerCalls: every method answers with a promise.
  const api = wrap<TrainerApi>(worker) as unknown as TrainerCalls;
  const { handle, leave } = guardedHandle(id, backend, api, () => worker.terminate());
  worker.addEventListener('error', (e) => leave(`its script failed: ${e.message || 'error event'}`));
  worker.addEventListener('messageerror', () => leave('a message could not be decoded'));
  worker.addEventListener('message', (e: MessageEvent<unknown>) => {
    const data = e.data as { type?: unknown; reason?: unknown } | null;
    if (data && data.type === DEVICE_LOST_MESSAGE) leave(String(data.reason));
  });
  return initHandle(handle, backend, policy, model, views);
};
