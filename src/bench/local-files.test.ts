import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BenchArgsError } from './arg-values';
import { LOCAL_DATA_PREFIX, NODE_PATHS, checkBenchPaths, checkOutputFile, checkOutputFolder, localDataset, type PathProbe } from './local-files';

// The entry points are run for real up to their checks; anything past them would build, serve and launch Chromium.
const started = vi.hoisted(() => [] as string[]);
vi.mock('./browser-runs', () => {
  const refuse = (what: string) => async (): Promise<never> => {
    started.push(what);
    throw new Error(`test: ${what} must not be reached`);
  };
  return {
    PageErrors: class {},
    Resources: class {
      async close(): Promise<void> {}
    },
    buildPage: refuse('buildPage'),
    interruptOnSignals: () => ({ signal: new AbortController().signal, dispose: () => undefined }),
    startPreview: refuse('startPreview'),
    launchChromium: refuse('launchChromium'),
    openPage: refuse('openPage'),
    replacePage: refuse('replacePage'),
    runOne: refuse('runOne'),
    leftPageUsable: () => true,
    runAsScript: () => {},
    warn: (message: string) => process.stderr.write(`warning: ${message}\n`),
  };
});

const root = mkdtempSync(join(tmpdir(), 'tandem-local-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const folder = join(root, 'folder');
const file = join(root, 'file.json');
mkdirSync(folder);
writeFileSync(file, '{}');

/** The real file system, with `readOnly` paths unwritable (root could write anywhere). */
const probe = (...readOnly: string[]): PathProbe => ({
  kind: NODE_PATHS.kind,
  writable: (path, kind) => !readOnly.includes(path) && NODE_PATHS.writable(path, kind),
});

function refusal(check: () => unknown): BenchArgsError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(BenchArgsError);
    return error as BenchArgsError;
  }
  throw new Error('expected a refusal');
}

describe('checkOutputFile', () => {
  it('accepts a new file in an existing folder, in folders still to be made, and an existing file', () => {
    expect(() => checkOutputFile('--out', join(folder, 'run.json'))).not.toThrow();
    expect(() => checkOutputFile('--out', join(folder, 'a', 'b', 'run.json'))).not.toThrow();
    expect(() => checkOutputFile('--out', file)).not.toThrow();
  });

  it.each([
    ['a folder', () => folder, /: .*folder is a folder\. Allowed: a file path/],
    ['a path ending in a separator', () => `${join(root, 'new')}/`, /it ends in a separator/],
    ['a path under a file', () => join(file, 'run.json'), /file\.json on its way is a file, not a folder/],
    ['a path deeper under a file', () => join(file, 'x', 'run.json'), /file\.json on its way is a file, not a folder/],
    ['an empty path', () => '', /it is empty/],
  ])('refuses %s, naming the flag and the value in one line', (_what, value, why) => {
    const error = refusal(() => checkOutputFile('--out', value()));
    expect(error.flag).toBe('--out');
    expect(error.value).toBe(value());
    expect(error.message).toMatch(new RegExp(`^Invalid --out: ${JSON.stringify(value()).replace(/[\\/.]/g, '\\$&')}: `));
    expect(error.message).toMatch(why);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a file or a folder it may not write', () => {
    expect(refusal(() => checkOutputFile('--out', file, probe(file))).message).toMatch(/file\.json exists and is not writable/);
    expect(refusal(() => checkOutputFile('--out', join(folder, 'x', 'run.json'), probe(folder))).message).toMatch(/folder .*folder on its way is not writable/);
  });

  it('cuts a very long path in its message', () => {
    const long = join(file, 'x'.repeat(500));
    const error = refusal(() => checkOutputFile('--out', long));
    expect(error.message).toContain(`… (${long.length} characters)`);
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('checkOutputFolder', () => {
  it('accepts an existing folder and one that can be made', () => {
    expect(() => checkOutputFolder('--out-dir', folder)).not.toThrow();
    expect(() => checkOutputFolder('--out-dir', join(folder, 'paper', 'one'))).not.toThrow();
  });

  it('refuses a file, a folder under a file and a folder it may not write', () => {
    expect(refusal(() => checkOutputFolder('--out-dir', file)).message).toMatch(/^Invalid --out-dir: ".*file\.json": .*file\.json is a file, not a folder\. Allowed: a folder/);
    expect(refusal(() => checkOutputFolder('--out-dir', join(file, 'paper'))).message).toMatch(/file\.json on its way is a file/);
    expect(refusal(() => checkOutputFolder('--out-dir', folder, probe(folder))).message).toMatch(/folder .* is not writable/);
  });
});

describe('localDataset', () => {
  it('serves an existing folder under the private prefix and leaves built-in datasets alone', () => {
    expect(localDataset(`idx:${folder}`)).toEqual({ dataset: `idx:${LOCAL_DATA_PREFIX}`, dir: folder });
    expect(localDataset('fashion-mnist')).toBeNull();
    expect(localDataset('cifar10')).toBeNull();
    expect(localDataset(undefined)).toBeNull();
  });

  it('refuses a folder that does not exist, or is a file, naming --dataset', () => {
    const missing = refusal(() => localDataset('idx:/no/such/dir'));
    expect(missing.flag).toBe('--dataset');
    expect(missing.message).toBe('Invalid --dataset: "idx:/no/such/dir": /no/such/dir does not exist. Allowed: idx:DIR with DIR an existing folder.');
    expect(refusal(() => localDataset(`cifar10:${file}`)).message).toMatch(/file\.json is a file, not a folder\. Allowed: cifar10:DIR/);
  });
});

describe('checkBenchPaths', () => {
  it('checks --out and --dataset together and returns the folder to serve', () => {
    expect(checkBenchPaths({ out: join(folder, 'run.json'), config: { dataset: `cifar10:${folder}` } })?.dir).toBe(folder);
    expect(refusal(() => checkBenchPaths({ out: folder, config: {} })).flag).toBe('--out');
    expect(refusal(() => checkBenchPaths({ out: join(folder, 'run.json'), config: { dataset: 'idx:/no/such/dir' } })).flag).toBe('--dataset');
  });
});

describe('npm run bench and bench:paper with a bad path', () => {
  let stderr: string[];
  beforeEach(() => {
    started.length = 0;
    stderr = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    return () => vi.restoreAllMocks();
  });

  /** Exit code 2, one line naming the flag and the value, no stack, and nothing built or started. */
  function expectRefused(code: number, flag: string, value: string): void {
    expect(code).toBe(2);
    expect(started).toEqual([]);
    const text = stderr.join('');
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toMatch(new RegExp(`^Invalid ${flag}: `));
    expect(text).toContain(JSON.stringify(value));
    expect(text).not.toMatch(/\n\s+at /);
  }

  it.each([
    ['--out', 'a folder', () => folder],
    ['--out', 'a path under a file', () => join(file, 'run.json')],
    ['--dataset', 'idx:/no/such/dir', () => 'idx:/no/such/dir'],
    ['--dataset', 'cifar10:MISSING', () => `cifar10:${join(root, 'missing')}`],
  ])('bench: %s %s exits 2 before the build', async (flag, _what, value) => {
    const { main } = await import('./cli');
    expectRefused(await main([flag, value()]), flag, value());
  });

  it.each([
    ['--out-dir', 'a file', () => file],
    ['--out-dir', 'a path under a file', () => join(file, 'paper')],
    ['--dataset', 'idx:/no/such/dir', () => 'idx:/no/such/dir'],
  ])('bench:paper: %s %s exits 2 before the build', async (flag, _what, value) => {
    const { main } = await import('./paper');
    expectRefused(await main([flag, value()]), flag, value());
  });
});
