/**
 * The busy/idle strip: one row per worker, one block per round drawn to
 * scale, solid while the worker computes and pale while it waits for the
 * others. It is where sync's idle gaps and their absence under biased show.
 * Plain DOM: widths in percent, so it fits any screen without redrawing.
 */
import type { Timeline } from './run-data';
import { colour, el } from './dom';

/** Rounds shown: enough to see a pattern, few enough to stay legible on a phone. */
export const TIMELINE_ROUNDS = 24;

export function renderTimeline(host: HTMLElement, caption: HTMLElement, t: Timeline | null): void {
  if (!t) {
    host.replaceChildren(el('p', { class: 'empty' }, ['No rounds yet.']));
    host.setAttribute('aria-label', 'Busy and idle time per worker: no rounds yet.');
    caption.textContent = '';
    return;
  }
  host.replaceChildren(
    ...t.rows.map((row) =>
      el('div', { class: 'tl-row' }, [
        el('div', { class: 'tl-label' }, [
          el('span', { class: 'swatch', style: `background:${colour(row.id)}` }),
          `w${row.id} ${row.backend}`,
          el('span', { class: 'tl-stats' }, [`τ ${row.tau}${row.biased ? ', high-loss' : ''}, idle ${Math.round(row.idle * 100)}%`]),
        ]),
        el(
          'div',
          { class: 'tl-track' },
          row.segments.map((s) =>
            el(
              'div',
              {
                class: 'tl-round',
                style: `width:${(s.width * 100).toFixed(3)}%`,
                title: `w${row.id}, round ${s.round}: busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`,
              },
              [el('div', { class: 'tl-busy', style: `width:${(s.busy * 100).toFixed(2)}%;background:${colour(row.id)}` })],
            ),
          ),
        ),
      ]),
    ),
  );
  host.setAttribute(
    'aria-label',
    `Busy and idle time per worker, rounds ${t.firstRound} to ${t.lastRound}: ` +
      t.rows.map((r) => `worker ${r.id} (${r.backend}) idle ${Math.round(r.idle * 100)}%`).join(', ') +
      '.',
  );
  caption.textContent =
    t.firstRound === t.lastRound ? `Round ${t.firstRound}.` : `Rounds ${t.firstRound} to ${t.lastRound}, each block as long as the round took.`;
}
