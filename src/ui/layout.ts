/**
 * Where the page's parts go: the alert area on top, the sidebar, then the
 * live "Training" panel, the "Compare and export" panel and the Sweep
 * panel. The parts build their own elements; this arranges them and owns
 * the alert area.
 */
import type { ConfigError, RunConfig } from '../core/config';
import { urlErrorText } from '../core/config-url';
import { clip } from '../core/errors';
import { el, errorAlert } from './dom';

/** The live panel's parts, top to bottom. */
export interface LivePanelParts {
  readonly status: HTMLElement;
  readonly runBar: HTMLElement;
  readonly poolBar: HTMLElement;
  readonly startNote: HTMLElement;
  readonly log: HTMLElement;
  readonly runEvents: HTMLElement;
  readonly readouts: HTMLElement;
  /** "Watch it write": a text run's model continuing a prompt (hidden for image runs). */
  readonly writing: HTMLElement;
  readonly figures: HTMLElement;
  readonly workers: HTMLElement;
}

export interface LayoutParts {
  /** Shown above everything (the saved-run banner): the first thing to decide after a reload. */
  readonly banner: HTMLElement;
  readonly sidebar: HTMLElement;
  readonly live: LivePanelParts;
  readonly compare: HTMLElement;
  /** The Sweep panel, after Compare and export. */
  readonly sweep: HTMLElement;
}

export class PageLayout {
  private readonly alerts: HTMLElement;

  constructor(root: HTMLElement, parts: LayoutParts) {
    const p = parts.live;
    const live = el('section', { class: 'panel live', 'aria-labelledby': 'live-h' }, [
      el('h2', { id: 'live-h' }, ['Training']),
      p.status,
      p.runBar,
      p.poolBar,
      p.startNote,
      p.log,
      p.runEvents,
      p.readouts,
      p.writing,
      p.figures,
      p.workers,
    ]);
    this.alerts = el('div', { class: 'alerts' }, [parts.banner]);
    // The parts announce their own changes (status, alerts, run events); a live root would read out every redraw.
    root.removeAttribute('aria-live');
    root.replaceChildren(this.alerts, parts.sidebar, el('div', { class: 'main' }, [live, parts.compare, parts.sweep]));
  }

  /** Query parameters refused at load, each replaced by its default (or what `used`, the config the URL gave, holds instead). */
  showUrlErrors(errors: readonly ConfigError[], used: Readonly<RunConfig>): void {
    if (errors.length > 0) this.alerts.append(urlErrorAlert(errors, used));
  }

  /** A refusal the person must see, with a Dismiss button. */
  showAlert(message: string): void {
    this.alerts.append(errorAlert(message));
  }
}

function urlErrorAlert(errors: readonly ConfigError[], used: Readonly<RunConfig>): HTMLElement {
  const box = el('div', { class: 'alert', role: 'alert' }, [
    el('p', {}, [`${errors.length === 1 ? 'A URL parameter was' : `${errors.length} URL parameters were`} refused; the rest of the link was kept:`]),
    el(
      'ul',
      {},
      errors.map((e) => el('li', {}, [el('code', {}, [clip(e.key)]), `: ${urlErrorText(e, undefined, used)}`])),
    ),
  ]);
  const dismiss = el('button', { type: 'button' }, ['Dismiss']);
  dismiss.addEventListener('click', () => box.remove());
  box.append(dismiss);
  return box;
}
