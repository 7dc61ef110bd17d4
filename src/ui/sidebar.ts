/**
 * The sidebar: "This machine" (capabilities, then the workers actually
 * started) and "Configuration" (the config form with the dataset picker,
 * Restore defaults and Copy link). The form changes the config only through
 * the ConfigStore; the page hears of validity changes through `onValidity`.
 */
import type { ConfigStore } from '../api/config-store';
import type { Capabilities } from '../backends/capabilities';
import { withModelForDataset } from '../core/config-rules';
import { messageOf } from '../core/errors';
import type { WorkerInfo } from '../protocol';
import { ConfigForm } from './controls';
import { DatasetPicker } from './dataset-picker';
import { el } from './dom';
import { FIELDS } from './fields';
import type { LocalDatasets } from './local-dataset';
import { renderMachine } from './machine';
import { poolFound } from '../backends/capabilities';

export interface SidebarDeps {
  readonly store: ConfigStore;
  readonly local: LocalDatasets;
  /** True when CIFAR-10's files are served (public/data/cifar10/): only then is it suggested. */
  readonly cifar10: Promise<boolean>;
  /** A control's value was accepted or refused: Start may change. */
  readonly onValidity: () => void;
}

export class Sidebar {
  readonly element: HTMLElement;
  readonly form: ConfigForm;
  private readonly machineList: HTMLElement;
  private caps: Readonly<Capabilities> | null = null;
  /** Suggested besides the embedded sets: cifar10 when served, and the last picked files' spec. */
  private readonly extraDatasets: { cifar10: boolean; picked: string | null } = { cifar10: false, picked: null };

  constructor(deps: SidebarDeps) {
    const { store } = deps;
    this.machineList = el('dl', { id: 'machine' }, [el('dt', {}, ['Detecting…'])]);
    const machine = el('section', { class: 'panel', 'aria-labelledby': 'machine-h' }, [el('h2', { id: 'machine-h' }, ['This machine']), this.machineList]);

    this.form = new ConfigForm(store, deps.onValidity);
    const picker = new DatasetPicker(deps.local, () => store.get(), (picked) => {
      this.extraDatasets.picked = picked.spec;
      this.suggestDatasets();
      store.set(withModelForDataset({ dataset: picked.spec }, store.get()));
    });
    this.form.insertAfterField('dataset', picker.element);
    void deps.cifar10.then((present) => {
      this.extraDatasets.cifar10 = present;
      this.suggestDatasets();
    });
    const button = (text: string) => el('button', { type: 'button' }, [text]);
    const defaults = button('Restore defaults');
    defaults.addEventListener('click', () => store.reset());
    const copied = el('span', { class: 'note', 'aria-live': 'polite' });
    const copy = button('Copy link');
    copy.addEventListener('click', () => {
      // Promise.resolve().then: without a secure context navigator.clipboard is undefined and would throw here.
      Promise.resolve()
        .then(() => navigator.clipboard.writeText(location.href))
        .then(
          () => (copied.textContent = 'Link copied.'),
          (e: unknown) => (copied.textContent = `Could not copy: ${messageOf(e)}`),
        );
    });
    const config = el('section', { class: 'panel', 'aria-labelledby': 'config-h' }, [
      el('h2', { id: 'config-h' }, ['Configuration']),
      el('p', { class: 'note' }, ['Every knob of the engine; the URL keeps them all, so a link reproduces the setup.']),
      this.form.element,
      el('div', { class: 'buttons' }, [defaults, copy, copied]),
    ]);
    this.element = el('div', { class: 'sidebar' }, [machine, config]);
  }

  /** What the browser offers; drawn once known, with the workers of the run so far, and the pool auto starts here. */
  showCapabilities(caps: Readonly<Capabilities>, workers: readonly WorkerInfo[] | undefined): void {
    this.caps = caps;
    renderMachine(this.machineList, caps, workers);
    this.form.setMachine(poolFound(caps));
  }

  /** The workers actually started, beside what the browser offers (once that is known). */
  showWorkers(workers: readonly WorkerInfo[]): void {
    if (this.caps) renderMachine(this.machineList, this.caps, workers);
  }

  private suggestDatasets(): void {
    const embedded = FIELDS.find((f) => f.key === 'dataset')?.suggestions ?? [];
    const { cifar10, picked } = this.extraDatasets;
    this.form.setSuggestions('dataset', [...embedded, ...(cifar10 ? ['cifar10'] : []), ...(picked ? [picked] : [])]);
  }
}
