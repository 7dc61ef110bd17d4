/**
 * The busy/idle strip: one row per worker, one block per round drawn to
 * scale, solid while the worker computes and pale while it waits for the
 * others. It is where sync's idle gaps and their absence under biased show,
 * so the live run is drawn above the last finished run of another algorithm.
 * Plain DOM: widths in percent, so it fits any screen without redrawing.
 */
import type { Timeline } from './run-data';
import { percent } from '../core/format';
import { colour, el } from './dom';

/** Rounds shown: enough to see a pattern, few enough to stay legible on a phone. */
export const TIMELINE_ROUNDS = 24;

export interface TimelineBlock {
  title: string;
  timeline: Timeline | null;
}

export function renderTimelines(host: HTMLElement, blocks: readonly TimelineBlock[]): void {
  const shown = blocks.filter((b) => b.timeline !== null);
  if (shown.length === 0) {
    host.replaceChildren(el('p', { class: 'empty' }, ['No rounds yet.']));
    return;
  }
  host.replaceChildren(...shown.map((b) => block(b.title, b.timeline as Timeline)));
}

function block(title: string, t: Timeline): HTMLElement {
  const rounds = t.firstRound === t.lastRound ? `round ${t.firstRound}` : `rounds ${t.firstRound} to ${t.lastRound}`;
  const summary = t.rows.map((r) => `worker ${r.id} (${r.backend}) idle ${percent(r.idle, 0)}`).join(', ');
  return el('div', { class: 'tl-block' }, [
    el('p', { class: 'tl-title' }, [title, el('span', { class: 'tl-rounds' }, [` · ${rounds}`])]),
    el(
      'div',
      { class: 'tl-rows', role: 'img', 'aria-label': `${title}, ${rounds}: ${summary}.` },
      t.rows.map((row) =>
        el('div', { class: 'tl-row' }, [
          el('div', { class: 'tl-label' }, [
            el('span', { class: 'tl-name' }, [el('span', { class: 'swatch', style: `background:${colour(row.id)}` }), `w${row.id} ${row.backend}`]),
            el('span', { class: 'tl-stats' }, [`τ ${row.tau}${row.biased ? ' · high-loss' : ''} · idle ${percent(row.idle, 0)}`]),
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
    ),
  ]);
}
