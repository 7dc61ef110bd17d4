/**
 * A text model writing for the page and scripts: requests checked, prompts
 * encoded in the dataset's vocabulary, and written one at a time on the run's
 * fastest member (or any worker left), so a worker never takes a text and a
 * round at once. The engine says when: between rounds during a run, at once
 * otherwise.
 */
import { ConfigError } from '../core/config';
import { asError } from '../core/errors';
import type { GenerateRequest, GenerateResult } from '../protocol';
import type { Prepared } from './dataset-memory';
import { RunStateError } from './run-state-error';
import type { RunState } from './run-state';
import type { WorkerHandle } from './worker-handle';
import type { WorkerPool } from './worker-pool';

interface Job {
  prompt: number[];
  request: GenerateRequest;
  resolve: (r: GenerateResult) => void;
  reject: (e: Error) => void;
}

export class TextWriter {
  private readonly queue: Job[] = [];
  /** The texts being written, in order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly engine: { prepared(): Prepared | null; pool(): WorkerPool | null; run(): RunState | null }) {}

  /** Queues `request`; unless `waitForRound`, writes the queue now. */
  ask(request: GenerateRequest, waitForRound: boolean): Promise<GenerateResult> {
    let prompt: number[];
    try {
      prompt = this.encode(checkGenerateRequest(request));
    } catch (e) {
      return Promise.reject(asError(e));
    }
    const queued = new Promise<GenerateResult>((resolve, reject) => this.queue.push({ prompt, request, resolve, reject }));
    if (!waitForRound) void this.serve(this.engine.run());
    return queued;
  }

  /** Writes every text asked for so far, after those already being written; resolves when they are. */
  serve(run: RunState | null): Promise<void> {
    this.writing = this.writing.then(() => this.drain(run));
    return this.writing;
  }

  private async drain(run: RunState | null): Promise<void> {
    for (const job of this.queue.splice(0)) {
      const member = run ? [...run.members].filter((m) => m.worker.lostReason() === null).sort((a, b) => a.estimateMs - b.estimateMs)[0] : undefined;
      const worker = member?.worker ?? this.engine.pool()?.workers.find((w) => w.lostReason() === null);
      if (!worker) {
        job.reject(new RunStateError('No worker is left to write with.'));
        continue;
      }
      await this.write(worker, job).then(job.resolve, (e: unknown) => job.reject(asError(e)));
    }
  }

  /** The prompt as character ids of the text dataset in shared memory; a character outside its vocabulary is refused by name. */
  private encode(request: GenerateRequest): number[] {
    const prepared = this.engine.prepared();
    const text = prepared?.text;
    if (!text || prepared?.model.name !== 'transformer') {
      throw new RunStateError('Only a text model writes: run the transformer on a text dataset (moby-dick or text:FILE) first.');
    }
    const ids = new Map(text.vocabulary.map((c, i) => [c, i]));
    return Array.from(request.prompt, (c) => {
      const id = ids.get(c) ?? (text.otherId ?? undefined);
      if (id === undefined) {
        throw new ConfigError('prompt', c, `characters of the dataset's vocabulary (${text.vocabulary.length} of them, e.g. ${text.vocabulary.slice(0, 20).join('')})`);
      }
      return id;
    });
  }

  private async write(worker: WorkerHandle, { prompt, request }: Job): Promise<GenerateResult> {
    const t0 = performance.now();
    const vocabulary = this.engine.prepared()?.text?.vocabulary ?? [];
    const ids = await worker.call((a) => a.generate(prompt, request.length, request.temperature, request.seed ?? 0));
    return { text: ids.map((id) => vocabulary[id] ?? '').join(''), round: this.engine.run()?.committedRound ?? 0, ms: performance.now() - t0 };
  }
}

/** `request` if every field is allowed, else a ConfigError naming the field, the value and what is allowed. */
export function checkGenerateRequest(request: unknown): GenerateRequest {
  if (typeof request !== 'object' || request === null) throw new ConfigError('generate', request, 'an object {prompt, length, temperature, seed?}');
  const r = request as Record<string, unknown>;
  if (typeof r['prompt'] !== 'string' || r['prompt'].length === 0 || [...r['prompt']].length > 1000) {
    throw new ConfigError('prompt', r['prompt'], 'a text of 1 to 1000 characters');
  }
  if (typeof r['length'] !== 'number' || !Number.isInteger(r['length']) || r['length'] < 1 || r['length'] > 1000) {
    throw new ConfigError('length', r['length'], 'an integer from 1 to 1000');
  }
  if (typeof r['temperature'] !== 'number' || !(r['temperature'] > 0 && r['temperature'] <= 5)) {
    throw new ConfigError('temperature', r['temperature'], 'a number in (0, 5]');
  }
  if (r['seed'] !== undefined && (typeof r['seed'] !== 'number' || !Number.isSafeInteger(r['seed']) || r['seed'] < 0)) {
    throw new ConfigError('seed', r['seed'], 'a whole number of at least 0');
  }
  return { prompt: r['prompt'], length: r['length'], temperature: r['temperature'], ...(r['seed'] === undefined ? {} : { seed: r['seed'] as number }) };
}
