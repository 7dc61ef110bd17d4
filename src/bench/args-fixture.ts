/** Parsing bench flags in tests: at a fixed time (the default output path has it), and the error a bad flag gives. */
import { expect } from 'vitest';
import { BenchArgsError, parseBenchArgs } from './args';

export const NOW = new Date('2025-03-04T05:06:07.890Z');
export const parse = (...argv: string[]) => parseBenchArgs(argv, NOW);

export function failure(argv: string[]): BenchArgsError {
  try {
    parseBenchArgs(argv, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchArgsError);
    return error as BenchArgsError;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
}
