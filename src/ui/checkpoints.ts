/**
 * Saved runs and checkpoint files on the page: a banner listing every run
 * saved in this browser (by any tab), each with Resume and Discard, and every
 * damaged save with its reason; and Export / Import checkpoint. Reading,
 * writing and checking checkpoints is src/checkpoint's and `window.tandem`'s;
 * this only shows them and asks.
 */
import { encodeCheckpoint, type Checkpoint } from '../checkpoint/format';
import { shortRunId } from '../checkpoint/store';
import { messageOf } from '../core/errors';
import { percent, seconds } from '../core/format';
import type { CheckpointSummary, DamagedSave, SavedEntry, TandemApi } from '../protocol';
import { download, el, errorAlert } from './dom';
import { isLocalSpec } from './local-dataset';

export const CHECKPOINT_FILE = 'tandem-checkpoint.tandem';

export interface CheckpointDeps {
  api: Pick<TandemApi, 'savedRuns' | 'discardSaved' | 'exportCheckpoint' | 'importCheckpoint'>;
  /** The newest readable save, for Export checkpoint when no run is on the charts. */
  loadNewest: () => Promise<Checkpoint | null>;
  /** Starts the saved run `key` names (the page owns runs: it sets the controls and follows the run). */
  resume: (key: string) => void;
}

/** The saved model's accuracy, saying what it was measured on: the whole test set, or the evalSamples images of its last evaluation. */
export function savedAccuracyText(s: Pick<CheckpointSummary, 'fullAccuracy' | 'accuracy' | 'evalSamples'>): string {
  if (s.fullAccuracy !== null) return `accuracy ${percent(s.fullAccuracy)} (whole test set)`;
  // evalSamples may exceed a small test set, so the count is not stated: the label says which figure it is.
  if (s.accuracy !== null) return `accuracy ${percent(s.accuracy)} (evalSamples subset of the test set)`;
  return 'no accuracy measured yet';
}

/** One line a person and a test can read: what would be resumed. */
export function savedRunText(s: CheckpointSummary): string {
  return `A saved run can be resumed: ${s.algo} on ${s.dataset}, round ${s.round}, ${savedAccuracyText(s)}`;
}

/** The details under it: which run, how far, when, and what resuming needs. */
export function savedRunNote(s: CheckpointSummary): string {
  const picked = isLocalSpec(s.dataset) ? ' Its data are files picked from disk: pick the same files again with Dataset files before resuming.' : '';
  const unverified = s.verified ? '' : ' A version-1 file: it has no checksum, so damage in it could not be detected.';
  return (
    `Run ${shortRunId(s.runId)}, ${s.model}, ${seconds(s.trainMs)} of training, saved ${new Date(s.savedAt).toLocaleString()}; ` +
    `${s.saves} save${s.saves === 1 ? '' : 's'} of it kept.${picked}${unverified}`
  );
}

export function damagedText(d: DamagedSave): string {
  return `A save of run ${shortRunId(d.runId)} (stored ${new Date(d.savedAt).toLocaleString()}) cannot be resumed: ${d.reason}`;
}

export class CheckpointControls {
  /** For the page's alert area, above everything: it is the first thing to decide after a reload. */
  readonly banner: HTMLElement;
  /** For the export panel. */
  readonly controls: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly importInput: HTMLInputElement;
  /** Resume and Discard of the entries shown, disabled together while a run is active. */
  private entryButtons: HTMLButtonElement[] = [];
  /** What the last import or discard did, announced politely. */
  private readonly outcome: HTMLElement;
  private readonly alerts: HTMLElement;
  /** A run is active (or the page not ready): resuming and importing wait. */
  private active = false;
  /** A run is active (not just the page loading): the banner stays hidden, out of the way of the run. */
  private running = false;
  private exportable = false;
  /** At least one readable save is stored (Export checkpoint can write it). */
  private anySaved = false;
  /** Bumped by every refresh: an older refresh that finishes late does not overwrite a newer one. */
  private generation = 0;

  constructor(private readonly deps: CheckpointDeps) {
    this.list = el('ul', { class: 'saved-list', style: 'list-style:none;margin:0;padding:0' });
    this.banner = el('section', { class: 'saved', 'aria-label': 'Saved runs', hidden: true }, [
      this.list,
      el('p', { class: 'note' }, [
        'Each run keeps its last few saves (keepSaves); a new run saves beside these and deletes none of them. Export checkpoint keeps a copy as a file.',
      ]),
    ]);

    this.exportButton = el('button', { type: 'button' }, ['Export checkpoint']);
    this.exportButton.addEventListener('click', () => void this.exportFile());
    this.importInput = el('input', { type: 'file', id: 'import-checkpoint', 'aria-describedby': 'checkpoint-note' });
    this.importInput.addEventListener('change', () => void this.importFile());
    const note = el('p', { class: 'note', id: 'checkpoint-note' }, [
      `Export: ${CHECKPOINT_FILE}, the checkpoint of the run on the charts once paused or finished, else the newest one saved in this browser. ` +
        'Import: a checkpoint file, checked (checksum, model and dataset, finite weights) and stored beside the saved runs, replacing none (not while a run is active).',
    ]);
    this.outcome = el('p', { class: 'note', 'aria-live': 'polite' });
    this.alerts = el('div', { class: 'alerts-inline' });
    this.controls = el('div', { class: 'checkpoint' }, [
      el('div', { class: 'row' }, [
        el('div', { class: 'buttons' }, [this.exportButton]),
        el('div', { class: 'field field-file' }, [el('label', { for: 'import-checkpoint' }, ['Import checkpoint']), this.importInput]),
      ]),
      note,
      this.outcome,
      this.alerts,
    ]);
    this.sync();
  }

  /** Reads every saved run (any tab's) and lists them; the banner shows unless a run is active. */
  async refreshSaved(): Promise<void> {
    const generation = ++this.generation;
    let entries: SavedEntry[];
    try {
      entries = await this.deps.api.savedRuns();
    } catch (e) {
      if (generation !== this.generation) return;
      this.showEntries([]);
      this.list.replaceChildren(el('li', {}, [el('p', { role: 'alert' }, [`The saved runs could not be read: ${messageOf(e)}`])]));
      this.banner.hidden = this.running;
      this.sync();
      return;
    }
    if (generation !== this.generation) return;
    this.showEntries(entries);
    this.banner.hidden = this.running || entries.length === 0;
    this.sync();
  }

  hideBanner(): void {
    this.banner.hidden = true;
  }

  /** Called by the page after every event: what may be pressed now. */
  setState(state: { active: boolean; running: boolean; exportable: boolean }): void {
    this.active = state.active;
    this.running = state.running;
    this.exportable = state.exportable;
    this.sync();
  }

  private showEntries(entries: readonly SavedEntry[]): void {
    this.anySaved = entries.some((e) => e.state === 'ok');
    this.entryButtons = [];
    this.list.replaceChildren(...entries.map((e) => (e.state === 'ok' ? this.runItem(e) : this.damagedItem(e))));
  }

  private runItem(s: CheckpointSummary): HTMLLIElement {
    const id = shortRunId(s.runId);
    const resume = el('button', { type: 'button', class: 'primary', 'aria-label': `Resume saved run ${id}` }, ['Resume saved run']);
    const discard = el('button', { type: 'button', 'aria-label': `Discard saved run ${id}` }, ['Discard saved run']);
    resume.addEventListener('click', () => {
      this.hideBanner();
      this.deps.resume(s.key);
    });
    discard.addEventListener('click', () => void this.discard(s.key, `The saved run ${id} was discarded (all ${s.saves} of its saves).`));
    this.entryButtons.push(resume, discard);
    return el('li', { class: 'saved-run' }, [
      el('p', { class: 'saved-text' }, [`${savedRunText(s)}.`]),
      el('p', { class: 'note' }, [savedRunNote(s)]),
      el('div', { class: 'buttons' }, [resume, discard]),
    ]);
  }

  private damagedItem(d: DamagedSave): HTMLLIElement {
    const id = shortRunId(d.runId);
    const discard = el('button', { type: 'button', 'aria-label': `Discard damaged save of run ${id}` }, ['Discard damaged save']);
    discard.addEventListener('click', () => void this.discard(d.key, `The damaged save of run ${id} was discarded.`));
    this.entryButtons.push(discard);
    return el('li', { class: 'saved-run damaged' }, [
      el('p', { class: 'saved-text', role: 'alert' }, [damagedText(d)]),
      el('div', { class: 'buttons' }, [discard]),
    ]);
  }

  private sync(): void {
    for (const b of this.entryButtons) b.disabled = this.active;
    this.importInput.disabled = this.active;
    this.exportButton.disabled = !(this.exportable || (!this.active && this.anySaved));
  }

  private async discard(key: string, done: string): Promise<void> {
    this.alerts.replaceChildren();
    try {
      await this.deps.api.discardSaved(key);
      this.outcome.textContent = done;
    } catch (e) {
      this.alerts.replaceChildren(errorAlert(`Could not discard the save: ${messageOf(e)}`));
    }
    await this.refreshSaved();
  }

  private async exportFile(): Promise<void> {
    this.alerts.replaceChildren();
    try {
      let bytes: Uint8Array | null = null;
      if (this.exportable) {
        try {
          bytes = this.deps.api.exportCheckpoint();
        } catch {
          // The run failed before it trained: there is no run checkpoint, so the saved one is what there is.
          bytes = null;
        }
      }
      if (!bytes) {
        const saved = await this.deps.loadNewest();
        if (!saved) throw new Error('No checkpoint to export: run, or import a checkpoint first.');
        bytes = encodeCheckpoint(saved);
      }
      // A copy: a Blob takes only ArrayBuffer-backed views.
      download(CHECKPOINT_FILE, bytes.slice(), 'application/octet-stream');
    } catch (e) {
      this.alerts.replaceChildren(errorAlert(`Could not export a checkpoint: ${messageOf(e)}`));
    }
  }

  private async importFile(): Promise<void> {
    const file = this.importInput.files?.[0];
    if (!file) return;
    this.alerts.replaceChildren();
    this.outcome.textContent = '';
    this.importInput.disabled = true;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const summary = await this.deps.api.importCheckpoint(bytes, file.name);
      this.outcome.textContent =
        `Imported ${file.name}: round ${summary.round} of ${summary.algo} on ${summary.dataset} (run ${shortRunId(summary.runId)}), ` +
        'stored beside the saved runs, ready to resume.';
      await this.refreshSaved();
    } catch (e) {
      const message = messageOf(e);
      // The checkpoint reader names the file; a storage error may not.
      this.alerts.replaceChildren(
        errorAlert(`${message.includes(file.name) ? message : `${file.name}: ${message}`} Nothing was stored; the saved runs are unchanged.`),
      );
    } finally {
      // Cleared, so picking the same file again is a new change.
      this.importInput.value = '';
      this.sync();
    }
  }
}
