/**
 * What the engine facade is built from and hands out: its options (how
 * trainers start, where checkpoints go, what `workers: auto` detects), the
 * dataset loader, event listeners, test hooks and a join request.
 */
import type { Checkpoint } from '../checkpoint/format';
import type { BackendName } from '../core/config';
import type { LoadedDataset } from '../data/sources';
import type { EngineEvent } from '../protocol';
import type { WorkerFactory } from './worker-handle';

export type Listener = (event: EngineEvent) => void;



/** Reads a dataset by its spec string (`fashion-mnist`, `cifar10:/files/`, `moby-dick`, ...); text is cut in windows of contextLength + 1. */
export type DatasetLoader = (dataset: string, options: { contextLength: number }) => Promise<LoadedDataset>;

export interface EngineOptions {
  /** Starts one trainer: a browser Worker on the page, an in-thread trainer in Node. */
  startWorker: WorkerFactory;
  /** Called with every checkpoint (every checkpointEvery rounds, at pause, at the end). */
  onCheckpoint?: (checkpoint: Checkpoint) => Promise<void> | void;
  /** What `workers: auto` builds on (the page's capability detection); without it `auto` is refused. */
  detectPool?: () => Promise<{ webgpu: boolean; cores: number }>;
}

/** Test hooks: each causes a fault a real run can meet, so its handling can be tested. */
export interface Diagnostics {
  /** The WebGPU device of worker `id` is destroyed, as a GPU reset would. */
  simulateDeviceLoss(id: number): Promise<void>;
  /** Worker `id` publishes a model holding NaN at its next round. */
  injectNaN(id: number): Promise<void>;
}

export interface JoinRequest {
  backend: BackendName;
  resolve: (id: number) => void;
  reject: (e: Error) => void;
}
