/**
 * The Sweep panel's progress line: trials done of the total, the trial
 * running, and the time left, estimated as the mean wall time of the trials
 * that ended times the trials left. Pure (no DOM), tested in Node.
 */
import type { SweepSnapshot } from '../api/sweep-session';
import { timeLeftMs } from '../sweep/records';

/** `45 s`, `3 min 20 s`, `2 h 5 min`: a duration for people, to the second under an hour. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  // Minutes rounded before they are split, so 1 h 59 min 30 s reads 2 h 0 min, not 1 h 60 min.
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** The progress line for `snapshot`; empty when there is no sweep. */
export function progressText(snapshot: Pick<SweepSnapshot, 'phase' | 'file' | 'total' | 'current' | 'durationsMs' | 'ended'>): string {
  const { phase, total, current, durationsMs } = snapshot;
  const done = snapshot.file?.trials.length ?? 0;
  const failed = snapshot.file?.trials.filter((r) => r.summary === null).length ?? 0;
  const counted = `${done} of ${total} trials done${failed > 0 ? ` (${failed} failed)` : ''}`;
  switch (phase) {
    case 'idle':
      return '';
    case 'running': {
      const left = timeLeftMs(durationsMs, total - done);
      const running = current ? `; trial ${current.trial.index + 1} running: ${current.trial.id}` : '';
      return `${counted}${running}. Time left: ${left === null ? 'estimating…' : `about ${durationText(left)}.`}`;
    }
    case 'stopping':
      return `${counted}; the sweep ends after trial ${current ? `${current.trial.index + 1} (${current.trial.id})` : 'the current one'}.`;
    case 'done': {
      const took = durationText(durationsMs.reduce((sum, d) => sum + d, 0));
      return snapshot.ended === 'completed'
        ? `Sweep finished: ${counted} in ${took}.`
        : `Sweep ended after ${done} of ${total} trials${failed > 0 ? ` (${failed} failed)` : ''}, in ${took}.`;
    }
    default: {
      const never: never = phase;
      return String(never);
    }
  }
}
