/**
 * The busy/idle strip: one row per worker, one block per round drawn to
 * scale, solid while the worker computes and pale while it waits for the
 * others; a parked worker's rounds are hatched, since it neither computes
 * nor waits. It is where sync's idle gaps and their absence under biased show,
 * so the live run is drawn above the last finished run of another algorithm.
 * Plain DOM: widths in percent, so it fits any screen without redrawing.
 */
import { percent } from '../core/format';
import { colour, el } from './dom';
import { parkedWhy, type Timeline, type TimelineRow, type TimelineSegment } from './run-data';

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
  const summary = t.rows.map((r) => `worker ${r.id} (${r.backend}) ${r.parked !== null ? 'parked' : `idle ${percent(r.idle, 0)}`}`).join(', ');
  return el('div', { class: 'tl-block' }, [
    el('p', { class: 'tl-title' }, [title, el('span', { class: 'tl-rounds' }, [` · ${rounds}`])]),
    el('div', { class: 'tl-rows', role: 'img', 'aria-label': `${title}, ${rounds}: ${summary}.` }, t.rows.map(row)),
  ]);
}

function row(r: TimelineRow): HTMLElement {
  return el('div', { class: r.parked !== null ? 'tl-row parked' : 'tl-row' }, [
    el('div', { class: 'tl-label' }, [
      el('span', { class: 'tl-name' }, [el('span', { class: 'swatch', style: `background:${colour(r.id)}` }), `w${r.id} ${r.backend}`]),
      el('span', { class: 'tl-stats', title: r.parked === null ? undefined : parkedWhy(r.parked) }, [stats(r)]),
    ]),
    el('div', { class: 'tl-track' }, r.segments.map((s) => segment(r.id, s))),
  ]);
}

/**
 * Parked now: says so instead of a tau of 0 and an idle share of rounds it
 * sat out; the verdict is the tooltip here and text in the workers table.
 */
function stats(r: TimelineRow): string {
  if (r.parked !== null) return 'parked, not training';
  const parked = r.parkedRounds > 0 ? ` · parked ${r.parkedRounds} round${r.parkedRounds === 1 ? '' : 's'}` : '';
  return `τ ${r.tau}${r.biased ? ' · high-loss' : ''} · idle ${percent(r.idle, 0)}${parked}`;
}

function segment(id: number, s: TimelineSegment): HTMLElement {
  const width = `width:${(s.width * 100).toFixed(3)}%`;
  if (s.parked) return el('div', { class: 'tl-round tl-parked', style: width, title: `w${id}, round ${s.round}: parked` });
  return el(
    'div',
    { class: 'tl-round', style: width, title: `w${id}, round ${s.round}: busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms` },
    [el('div', { class: 'tl-busy', style: `width:${(s.busy * 100).toFixed(2)}%;background:${colour(id)}` })],
  );
}
