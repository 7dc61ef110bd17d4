/**
 * The saved run and checkpoint files on the page: a banner offering to resume
 * the run saved in this browser (or saying why it cannot), and Export / Import
 * checkpoint. Reading, writing and checking checkpoints is the engine's
 * (src/checkpoint, `window.tandem`); this only shows them and asks.
 */
import { encodeCheckpoint } from '../checkpoint/format';
import { clearCheckpoint, loadCheckpoint } from '../checkpoint/store';
import type { CheckpointSummary, TandemApi } from '../protocol';
import { messageOf } from '../core/errors';
import { percent, seconds } from '../core/format';
import { download, el, errorAlert } from './dom';
import { isLocalSpec } from './local-dataset';

export const CHECKPOINT_FILE = 'tandem-checkpoint.tandem';

export interface CheckpointDeps {
  api: Pick<TandemApi, 'savedCheckpoint' | 'exportCheckpoint' | 'importCheckpoint'>;
  /** Starts the saved run (the page owns runs: it sets the controls and follows the run). */
  resume: () => void;
}

/** One line a person and a test can read: what would be resumed. */
export function savedRunText(s: CheckpointSummary): string {
  const accuracy = s.accuracy === null ? 'no accuracy measured yet' : `accuracy ${percent(s.accuracy)}`;
  return `A saved run can be resumed: ${s.algo} on ${s.dataset}, round ${s.round}, ${accuracy}`;
}

export class CheckpointControls {
  /** For the page's alert area, above everything: it is the first thing to decide after a reload. */
  readonly banner: HTMLElement;
  /** For the export panel. */
  readonly controls: HTMLElement;
  private readonly bannerText: HTMLElement;
  private readonly bannerNote: HTMLElement;
  private readonly resumeButton: HTMLButtonElement;
  private readonly discardButton: HTMLButtonElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly importInput: HTMLInputElement;
  /** What the last import or discard did, announced politely. */
  private readonly outcome: HTMLElement;
  private readonly alerts: HTMLElement;
  /** A run is active (or the page not ready): resuming and importing wait, or the run's next checkpoint would replace what they bring. */
  private active = false;
  /** A run is active (not just the page loading): the saved run is not offered. */
  private running = false;
  private exportable = false;
  private saved: 'none' | 'ok' | 'damaged' = 'none';

  constructor(private readonly deps: CheckpointDeps) {
    this.bannerText = el('p', { class: 'saved-text' });
    this.bannerNote = el('p', { class: 'note' });
    this.resumeButton = el('button', { type: 'button', class: 'primary' }, ['Resume saved run']);
    this.discardButton = el('button', { type: 'button' }, ['Discard saved run']);
    this.banner = el('section', { class: 'saved', 'aria-label': 'Saved run', hidden: true }, [
      this.bannerText,
      this.bannerNote,
      el('div', { class: 'buttons' }, [this.resumeButton, this.discardButton]),
    ]);
    this.resumeButton.addEventListener('click', () => {
      this.hideBanner();
      deps.resume();
    });
    this.discardButton.addEventListener('click', () => void this.discard());

    this.exportButton = el('button', { type: 'button' }, ['Export checkpoint']);
    this.exportButton.addEventListener('click', () => void this.exportFile());
    this.importInput = el('input', { type: 'file', id: 'import-checkpoint', 'aria-describedby': 'checkpoint-note' });
    this.importInput.addEventListener('change', () => void this.importFile());
    const note = el('p', { class: 'note', id: 'checkpoint-note' }, [
      `Export: ${CHECKPOINT_FILE}, the checkpoint of the run on the charts once paused or finished, else the one saved in this browser. ` +
        'Import: a checkpoint file, saved here to be resumed (not while a run is active).',
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

  /** Reads the saved checkpoint and shows the banner for it (or its damage). */
  async refreshSaved(): Promise<void> {
    try {
      const summary = await this.deps.api.savedCheckpoint();
      if (!summary) {
        this.saved = 'none';
        this.hideBanner();
      } else if (this.running) {
        // A run that started meanwhile will replace it: offering it now would offer what is about to go.
        this.saved = 'ok';
      } else {
        this.showSaved(summary);
      }
    } catch (e) {
      // A damaged checkpoint is shown with its reason; it can only be discarded.
      this.saved = 'damaged';
      this.bannerText.textContent = `The run saved in this browser cannot be resumed: ${messageOf(e)}`;
      this.bannerText.setAttribute('role', 'alert');
      this.bannerNote.textContent = 'Discard it to save new runs cleanly, or import a checkpoint file.';
      this.resumeButton.hidden = true;
      this.banner.hidden = false;
    }
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

  private showSaved(s: CheckpointSummary): void {
    this.saved = 'ok';
    this.bannerText.removeAttribute('role');
    this.bannerText.textContent = `${savedRunText(s)}.`;
    const picked = isLocalSpec(s.dataset)
      ? ' Its data are files picked from disk: pick the same files again with Dataset files before resuming.'
      : '';
    this.bannerNote.textContent =
      `${s.model}, ${seconds(s.trainMs)} of training, saved ${new Date(s.savedAt).toLocaleString()}.${picked} ` +
      'Starting a new run replaces it; Export checkpoint keeps a copy.';
    this.resumeButton.hidden = false;
    this.banner.hidden = false;
  }

  private sync(): void {
    this.resumeButton.disabled = this.active;
    this.discardButton.disabled = this.active;
    this.importInput.disabled = this.active;
    this.exportButton.disabled = !(this.exportable || (!this.active && this.saved === 'ok'));
  }

  private async discard(): Promise<void> {
    try {
      await clearCheckpoint();
      this.saved = 'none';
      this.hideBanner();
      this.outcome.textContent = 'The saved run was discarded.';
    } catch (e) {
      this.alerts.replaceChildren(errorAlert(`Could not discard the saved run: ${messageOf(e)}`));
    }
    this.sync();
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
        const saved = await loadCheckpoint();
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
      this.showSaved(summary);
      this.outcome.textContent = `Imported ${file.name}: round ${summary.round} of ${summary.algo} on ${summary.dataset}, ready to resume.`;
    } catch (e) {
      const message = messageOf(e);
      // The checkpoint reader names the file; a storage error may not.
      this.alerts.replaceChildren(
        errorAlert(`${message.includes(file.name) ? message : `${file.name}: ${message}`} The saved run, if any, is unchanged.`),
      );
    } finally {
      // Cleared, so picking the same file again is a new change.
      this.importInput.value = '';
      this.sync();
    }
  }
}
