import { describe, expect, it } from 'vitest';
import { FramePacer, type PacerClock } from './frame-pacer';

/** A clock the test moves by hand: timers fire when time passes them, frames when `paint()` is called. */
class HandClock implements PacerClock {
  time = 0;
  private timers: { at: number; run: () => void }[] = [];
  private frames: (() => void)[] = [];
  now(): number {
    return this.time;
  }
  setTimer(run: () => void, ms: number): unknown {
    const timer = { at: this.time + ms, run };
    this.timers.push(timer);
    return timer;
  }
  clearTimer(timer: unknown): void {
    this.timers = this.timers.filter((t) => t !== timer);
  }
  frame(run: () => void): void {
    this.frames.push(run);
  }
  /** Moves time on by `ms`, firing the timers it passes, then paints one frame. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.run();
    this.paint();
  }
  paint(): void {
    const frames = this.frames;
    this.frames = [];
    for (const f of frames) f();
  }
}

function pacer(intervalMs = 1000): { clock: HandClock; draws: number[]; pace: FramePacer } {
  const clock = new HandClock();
  const draws: number[] = [];
  const pace = new FramePacer(() => draws.push(clock.time), intervalMs, clock);
  return { clock, draws, pace };
}

describe('FramePacer', () => {
  it('draws an unpaced request on the next frame, once for all the requests before it', () => {
    const { clock, draws, pace } = pacer();
    pace.request(false);
    pace.request(false);
    pace.request(true);
    expect(draws).toEqual([]);
    clock.paint();
    expect(draws).toEqual([0]);
    clock.paint();
    expect(draws).toEqual([0]);
  });

  it('while paced, draws at most once per interval however many requests come', () => {
    const { clock, draws, pace } = pacer(1000);
    // A round ends every 250 ms for 3 s.
    for (let t = 0; t < 3000; t += 250) {
      pace.request(true);
      clock.advance(250);
    }
    expect(draws.length).toBeGreaterThanOrEqual(3);
    expect(draws.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < draws.length; i++) expect(draws[i]! - draws[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it('a paced request long after the last draw is drawn on the next frame', () => {
    const { clock, draws, pace } = pacer(1000);
    pace.request(true);
    clock.paint();
    clock.advance(5000);
    pace.request(true);
    clock.paint();
    expect(draws).toEqual([0, 5000]);
  });

  it('a paced request soon after a draw waits for the interval, then draws once', () => {
    const { clock, draws, pace } = pacer(1000);
    pace.request(true);
    clock.paint();
    clock.advance(100);
    pace.request(true);
    pace.request(true);
    clock.advance(500);
    expect(draws).toEqual([0]);
    clock.advance(400);
    expect(draws).toEqual([0, 1000]);
    clock.advance(2000);
    expect(draws).toEqual([0, 1000]);
  });

  it('an unpaced request (the run ended) brings a waiting paced redraw forward to the next frame, and draws once', () => {
    const { clock, draws, pace } = pacer(1000);
    pace.request(true);
    clock.paint();
    clock.advance(100);
    pace.request(true);
    pace.request(false);
    clock.paint();
    expect(draws).toEqual([0, 100]);
    clock.advance(2000);
    expect(draws).toEqual([0, 100]);
  });

  it('an interval of 0 draws on every frame, as without pacing', () => {
    const { clock, draws, pace } = pacer(0);
    for (let i = 0; i < 3; i++) {
      pace.request(true);
      clock.advance(16);
    }
    expect(draws).toEqual([16, 32, 48]);
  });

  it('refuses an interval that is not a finite number of ms >= 0, naming the value', () => {
    expect(() => new FramePacer(() => undefined, -1)).toThrow(/intervalMs must be a finite number of ms >= 0, got -1/);
    expect(() => new FramePacer(() => undefined, Number.NaN)).toThrow(/got NaN/);
    expect(() => new FramePacer(() => undefined, Number.POSITIVE_INFINITY)).toThrow(/got Infinity/);
  });
});
