import { describe, expect, it } from 'vitest';
import { RunStateError } from '../orchestrator/run-state-error';
import { EngineClaims } from './engine-claims';

describe('EngineClaims', () => {
  it('is free with no active claim, and names the first active one, in the order registered', () => {
    const claims = new EngineClaims();
    let sweep = false;
    let page = false;
    claims.add(() => sweep, 'a sweep is running', 'end it first.');
    claims.add(() => page, 'the page runs a sequence', 'stop it first.');
    expect(claims.held).toBe(false);
    expect(() => claims.assertFree('start a run')).not.toThrow();
    page = true;
    expect(claims.held).toBe(true);
    expect(() => claims.assertFree('start a run')).toThrow(new RunStateError('Cannot start a run while the page runs a sequence; stop it first.'));
    sweep = true;
    expect(() => claims.assertFree('start a sweep')).toThrow('Cannot start a sweep while a sweep is running; end it first.');
  });
});
