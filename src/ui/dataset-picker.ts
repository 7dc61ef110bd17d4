/**
 * "Dataset files": CIFAR-10 batches, IDX files or one text file picked from
 * the person's disk, read in this tab (nothing is uploaded). A refused pick is an alert
 * naming the file and the problem, and changes nothing: the dataset control
 * keeps its value and a run in progress goes on.
 */
import type { RunConfig } from '../core/config';
import { DatasetFileError } from '../data/dataset-file';
import { messageOf } from '../core/errors';
import { el, errorAlert } from './dom';
import { PICKED_FILES_HELP, type LocalDatasets, type PickedDataset, type PickedFile } from './local-dataset';

const KIND_NAMES: Readonly<Record<PickedDataset['kind'], string>> = { cifar10: 'CIFAR-10', idx: 'IDX', text: 'text' };

export class DatasetPicker {
  readonly element: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly note: HTMLElement;
  private readonly alerts: HTMLElement;

  constructor(
    private readonly local: LocalDatasets,
    /** The config now: its dataset is named in a refusal so it is clear nothing changed; a text file is cut at its contextLength. */
    private readonly current: () => RunConfig,
    private readonly onPicked: (picked: PickedDataset) => void,
  ) {
    // No `accept`: IDX files have no extension, so a filter would hide them in the file dialog.
    this.input = el('input', { type: 'file', id: 'dataset-files', multiple: true, 'aria-describedby': 'dataset-files-hint dataset-files-note' });
    this.note = el('p', { class: 'note', id: 'dataset-files-note', 'aria-live': 'polite' });
    this.alerts = el('div', { class: 'alerts-inline' });
    this.element = el('div', { class: 'field field-file' }, [
      el('label', { for: 'dataset-files' }, ['Dataset files']),
      this.input,
      el('p', { class: 'hint', id: 'dataset-files-hint' }, [`Load files… from your disk, read in this tab only: ${PICKED_FILES_HELP}.`]),
      this.note,
      this.alerts,
    ]);
    this.input.addEventListener('change', () => void this.read());
  }

  private async read(): Promise<void> {
    const files = [...(this.input.files ?? [])];
    if (files.length === 0) return;
    this.alerts.replaceChildren();
    this.input.disabled = true;
    this.note.textContent = `Reading ${files.length} file${files.length === 1 ? '' : 's'}…`;
    try {
      const picked = await this.local.pick(await Promise.all(files.map(readFile)), { contextLength: this.current().contextLength });
      this.onPicked(picked);
      this.note.textContent =
        `Loaded ${KIND_NAMES[picked.kind]} from ${picked.used.join(', ')}: ${pickedSummary(picked)} Dataset is now ${picked.spec}` +
        (picked.kind === 'text' ? ', with the transformer.' : '.') +
        (picked.ignored.length > 0 ? ` Ignored: ${picked.ignored.join(', ')}.` : '');
    } catch (e) {
      this.note.textContent = '';
      this.alerts.replaceChildren(errorAlert(`${messageOf(e)} Nothing was changed: the dataset is still ${this.current().dataset}.`));
    } finally {
      this.input.disabled = false;
      // Cleared, so picking the same files again (after fixing one) is a new change.
      this.input.value = '';
    }
  }
}

/** What was read: images and classes, or a text's characters, vocabulary and windows. */
function pickedSummary({ dataset }: PickedDataset): string {
  const { train, test, textInfo } = dataset;
  if (textInfo) {
    return (
      `${textInfo.chars} characters, a vocabulary of ${textInfo.vocabulary.length}, ${train.count} training and ${test.count} test windows ` +
      `of ${textInfo.contextLength + 1} characters (contextLength ${textInfo.contextLength}; a run cuts them again at its own).`
    );
  }
  return (
    `${train.count} training and ${test.count} test images, ${train.height}x${train.width}x${train.channels}, ` +
    `${Math.max(train.classes, test.classes)} classes.`
  );
}

async function readFile(file: File): Promise<PickedFile> {
  try {
    return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()), lastModified: file.lastModified };
  } catch (e) {
    throw new DatasetFileError(`${file.name} could not be read: ${messageOf(e)}`);
  }
}
