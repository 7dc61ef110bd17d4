/**
 * The workers table: each worker's backend, adapter, profiled step time and
 * role (a parked one with why, in words), and its Remove button, which is how
 * a worker is taken out of a run.
 * The page says when the pool can change; the table remembers who is leaving.
 */
import type { WorkerInfo } from '../protocol';
import { colour, el } from './dom';
import { parkedWhy } from './run-data';

export class WorkersTable {
  /** Open: its Remove buttons are how a worker is taken out of a run. */
  readonly element: HTMLDetailsElement;
  private readonly table: HTMLTableElement;
  private removeButtons: { id: number; button: HTMLButtonElement }[] = [];
  /** Workers asked to leave whose departure the engine has not announced yet: their Remove stays disabled. */
  private readonly leaving = new Set<number>();
  private removable = false;

  constructor(private readonly onRemove: (id: number) => void) {
    this.table = el('table', { id: 'workers', 'aria-label': 'Workers' });
    this.element = el('details', { class: 'workers', open: true }, [
      el('summary', {}, ['Workers: backends, adapters, profiled step times']),
      el('div', { class: 'scroll' }, [this.table]),
    ]);
  }

  /** The engine's current workers. */
  show(workers: readonly WorkerInfo[]): void {
    // A worker gone from the list has left; the pool may give its id to a newcomer, whose Remove must work.
    for (const id of this.leaving) if (!workers.some((w) => w.id === id)) this.leaving.delete(id);
    this.removeButtons = renderWorkers(this.table, workers, this.onRemove);
    this.sync();
  }

  /** A new run: its workers are announced afresh. */
  clear(): void {
    this.table.replaceChildren();
    this.removeButtons = [];
    this.leaving.clear();
  }

  /** The engine accepted worker `id`'s removal; it leaves at the end of its round. */
  markLeaving(id: number): void {
    this.leaving.add(id);
    this.sync();
  }

  /** Whether the run's pool can change now (see controlState's removeWorker). */
  setRemovable(removable: boolean): void {
    this.removable = removable;
    this.sync();
  }

  private sync(): void {
    for (const { id, button } of this.removeButtons) button.disabled = !this.removable || this.leaving.has(id);
  }
}

function renderWorkers(
  table: HTMLTableElement,
  workers: readonly WorkerInfo[],
  onRemove: (id: number) => void,
): { id: number; button: HTMLButtonElement }[] {
  const head = el('tr', {}, ['Worker', 'Backend', 'Profiled step', 'Role', 'Details', 'Action'].map((h) => el('th', { scope: 'col' }, [h])));
  const buttons: { id: number; button: HTMLButtonElement }[] = [];
  const rows = workers.map((w) => {
    const remove = el('button', { type: 'button', class: 'small' }, [`Remove worker ${w.id}`]);
    remove.addEventListener('click', () => onRemove(w.id));
    buttons.push({ id: w.id, button: remove });
    return el('tr', { class: w.role === 'parked' || w.parked !== null ? 'parked' : undefined }, [
      el('th', { scope: 'row' }, [el('span', { class: 'swatch', style: `background:${colour(w.id)}` }), `w${w.id}`]),
      el('td', {}, [w.backend + (w.backend !== w.requested ? ` (asked for ${w.requested})` : '')]),
      el('td', {}, [w.stepMs === null ? '–' : `${w.stepMs.toFixed(1)} ms`]),
      el('td', {}, roleCell(w)),
      el('td', {}, [workerDetails(w)]),
      el('td', {}, [remove]),
    ]);
  });
  table.replaceChildren(
    el('caption', {}, [
      'Roles come from measured step times, not from the backend’s name. ' +
        'A parked worker stays started but does not train: the pool was measured to train faster without it.',
    ]),
    head,
    ...rows,
  );
  return buttons;
}

/** The role; a parked worker's verdict under it, as text (a tooltip alone would hide it from most people). */
function roleCell(w: WorkerInfo): (Node | string)[] {
  if (w.role !== 'parked' && w.parked === null) return [w.role ?? '–'];
  return [el('strong', {}, ['parked']), el('span', { class: 'why' }, [parkedWhy(w.parked ?? 'the pool trains faster without it')])];
}

/** The adapter of a WebGPU worker, SIMD and threads of a WASM one, else the tfjs backend; then what failed on the way. */
function workerDetails(w: WorkerInfo): string {
  const r = w.report;
  const main = r.adapter
    ? `${r.adapter.vendor} ${r.adapter.architecture}${r.adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}`
    : r.wasm
      ? `SIMD ${r.wasm.simd ? 'on' : 'off'}, ${r.wasm.threads} thread`
      : `tfjs ${r.tfBackend}`;
  return [main, ...r.failures].join('; ');
}
