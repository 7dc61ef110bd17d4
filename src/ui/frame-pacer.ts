/**
 * Paces the live view's redraws: the charts, timeline and hardest samples,
 * and the readouts and chart summaries drawn with them.
 *
 * While a run trains, the page's drawing (then style, layout and paint) runs
 * on the same cores as the workers. In a 20-round run on two WASM workers (a
 * round every 250 ms or so), the main thread, engine included, was busy 0.91 s
 * when the view redrew after every round and 0.55 s paced; the workers'
 * samples per second did not change measurably on two cores, but the page
 * leaves the CPU to training wherever it can. So while training the view
 * redraws at most once per interval, however many rounds ended; otherwise
 * (a run starting or ending, Reset, the time axis, the finished runs
 * changing) on the next frame.
 */

/** The timers the pacer uses: the browser's, or a test's. */
export interface PacerClock {
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  /** Calls `run` before the next paint. */
  frame(run: () => void): void;
}

export const BROWSER_CLOCK: PacerClock = {
  now: () => performance.now(),
  setTimer: (run, ms) => setTimeout(run, ms),
  clearTimer: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
  frame: (run) => void requestAnimationFrame(() => run()),
};

export class FramePacer {
  private framePending = false;
  private timer: unknown = null;
  private lastDraw = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly draw: () => void,
    /** The least time between two paced redraws, in ms. */
    private readonly intervalMs: number,
    private readonly clock: PacerClock = BROWSER_CLOCK,
  ) {
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new RangeError(`FramePacer: intervalMs must be a finite number of ms >= 0, got ${intervalMs}`);
    }
  }

  /**
   * Asks for one redraw. Paced, it comes no sooner than the interval after
   * the last one; unpaced, on the next frame (a paced redraw waiting is
   * brought forward). Requests while one is pending join it.
   */
  request(paced: boolean): void {
    if (this.framePending) return;
    if (!paced) {
      this.cancelTimer();
      this.requestFrame();
      return;
    }
    if (this.timer !== null) return;
    const wait = this.lastDraw + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.requestFrame();
      return;
    }
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.requestFrame();
    }, wait);
  }

  private requestFrame(): void {
    this.framePending = true;
    this.clock.frame(() => {
      this.framePending = false;
      this.lastDraw = this.clock.now();
      this.draw();
    });
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
