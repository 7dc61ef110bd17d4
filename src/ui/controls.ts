/**
 * The config form: one labelled control per config key, grouped. A change is
 * validated at once through the ConfigStore (the same validator as
 * `window.tandem`); a refused value stays in its control, marked invalid with
 * the validator's message, and the store keeps its last valid config.
 */
import { ConfigError, isTextDataset, type RunConfig } from '../core/config';
import { fieldKeyOf } from '../core/config-checks';
import { withModelForDataset } from '../core/config-rules';
import type { ConfigStore } from '../api/config-store';
import { formatConfigValue } from '../core/config-text';
import { asError } from '../core/errors';
import { el } from './dom';
import {
  FIELDS,
  GROUPS,
  POOL_AUTO_LABEL,
  POOL_BACKENDS,
  POOL_MAX,
  type FieldSpec,
} from './fields';
import type { PoolFound } from '../backends/capabilities';
import { explicitFromAuto, poolCounts, poolSummary, startedPool } from './pool-choice';

type Control = HTMLInputElement | HTMLSelectElement;

export class ConfigForm {
  readonly element: HTMLFormElement;
  /** Fields whose control holds a value the validator refused, with its error. */
  private readonly invalid = new Map<string, ConfigError | Error>();
  private readonly controls = new Map<keyof RunConfig, Control[]>();
  private readonly messages = new Map<keyof RunConfig, HTMLElement>();
  private readonly fields = new Map<keyof RunConfig, HTMLElement>();
  private readonly datalists = new Map<keyof RunConfig, HTMLDataListElement>();
  private readonly biasedGroup: HTMLFieldSetElement;
  private readonly poolSummary: HTMLElement;
  private readonly pool: { box: HTMLElement; auto: HTMLInputElement; counts: HTMLInputElement[] };
  /** The machine as auto reads it; null until the capabilities are detected. */
  private found: PoolFound | null = null;
  /** The field being written from its own control, so the store's echo does not overwrite what is typed. */
  private source: keyof RunConfig | null = null;

  constructor(
    private readonly store: ConfigStore,
    private readonly onValidity: () => void,
  ) {
    this.element = el('form', { class: 'config', 'aria-label': 'Configuration', novalidate: true });
    this.element.addEventListener('submit', (e) => e.preventDefault());

    const groups = new Map<string, HTMLFieldSetElement>();
    for (const g of GROUPS) {
      const fieldset = el('fieldset', { class: `group group-${g.id}` }, [el('legend', {}, [g.legend])]);
      if (g.note) fieldset.append(el('p', { class: 'note' }, [g.note]));
      groups.set(g.id, fieldset);
      if (g.id === 'advanced') {
        this.element.append(el('details', { class: 'advanced' }, [el('summary', {}, [g.legend]), fieldset]));
      } else {
        this.element.append(fieldset);
      }
    }
    this.biasedGroup = groups.get('biased') as HTMLFieldSetElement;
    this.poolSummary = el('p', { class: 'note', id: 'pool-summary' });
    this.pool = this.poolControls();

    for (const f of FIELDS) {
      const fieldset = groups.get(f.group);
      if (!fieldset) continue;
      if (f.kind === 'workers') fieldset.append(this.pool.box, this.poolSummary, this.message(f.key));
      else fieldset.append(this.fieldControl(f));
    }

    this.show(store.get());
    store.subscribe((config) => {
      if (this.source === null) {
        // Set from elsewhere (window.tandem, Restore defaults): the controls now mirror the store exactly.
        for (const key of [...this.invalid.keys()]) this.clearError(key as keyof RunConfig);
      }
      this.show(config);
      this.onValidity();
    });
  }

  /** True when every control holds a value the validator accepted. */
  isValid(): boolean {
    return this.invalid.size === 0;
  }

  /** The first refused value's message, for the Start button's description. */
  firstError(): string | null {
    const first = this.invalid.values().next();
    return first.done ? null : first.value.message;
  }

  private fieldControl(f: FieldSpec): HTMLElement {
    const id = `cfg-${f.key}`;
    const described = [f.hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
    let control: Control;
    if (f.kind === 'select') {
      control = el('select', { id, name: f.key, 'aria-describedby': described }, (f.options ?? []).map((o) => el('option', { value: o }, [o])));
    } else if (f.kind === 'text') {
      control = el('input', {
        id,
        name: f.key,
        type: 'text',
        autocomplete: 'off',
        spellcheck: 'false',
        list: f.suggestions ? `${id}-list` : undefined,
        placeholder: f.suggestions ? undefined : 'none',
        'aria-describedby': described,
      });
    } else if (f.kind === 'checkbox') {
      control = el('input', { id, name: f.key, type: 'checkbox', 'aria-describedby': described });
    } else {
      control = el('input', {
        id,
        name: f.key,
        type: 'number',
        inputmode: f.kind === 'integer' ? 'numeric' : 'decimal',
        step: f.kind === 'integer' ? '1' : 'any',
        min: f.min === undefined ? undefined : String(f.min),
        max: f.max === undefined ? undefined : String(f.max),
        placeholder: f.nullable ? 'none' : undefined,
        'aria-describedby': described,
      });
    }
    this.controls.set(f.key, [control]);
    control.addEventListener(f.kind === 'select' || f.kind === 'checkbox' ? 'change' : 'input', () => {
      this.commit(f.key, () => {
        const value = readControl(f, control);
        // Choosing a text dataset brings the transformer, an image one takes it away: the pair stays valid.
        if (f.key === 'dataset' && typeof value === 'string') return withModelForDataset({ dataset: value }, this.store.get());
        return { [f.key]: value };
      });
    });
    // The label's text is the accessible name, accessibleName(f): `${label} (${key})`.
    const label = el('label', { for: id }, [f.label, ' ', el('code', {}, [`(${f.key})`])]);
    const datalist = f.suggestions ? el('datalist', { id: `${id}-list` }, f.suggestions.map((o) => el('option', { value: o }))) : null;
    if (datalist) this.datalists.set(f.key, datalist);
    const field = el('div', { class: `field field-${f.kind}` }, [
      label,
      control,
      ...(datalist ? [datalist] : []),
      ...(f.hint ? [el('p', { class: 'hint', id: `${id}-hint` }, [f.hint])] : []),
      this.message(f.key),
    ]);
    this.fields.set(f.key, field);
    return field;
  }

  /** Replaces a text field's suggestions (the dataset list grows when CIFAR-10 or picked files are found). */
  setSuggestions(key: keyof RunConfig, options: readonly string[]): void {
    this.datalists.get(key)?.replaceChildren(...options.map((o) => el('option', { value: o })));
  }

  /** What this machine offers, once detected: the auto pool's counts and summary follow it. */
  setMachine(found: PoolFound): void {
    this.found = found;
    // A refused count the person is fixing stays as typed.
    this.showPool(this.store.get(), !this.invalid.has('workers'));
  }

  /** Places `node` right after a field's control, so what belongs to it (the dataset file picker) sits beside it. */
  insertAfterField(key: keyof RunConfig, node: HTMLElement): void {
    const field = this.fields.get(key);
    if (field) field.after(node);
    else this.element.append(node);
  }

  /**
   * The Auto checkbox and one spinbutton per backend. Under auto the
   * spinbuttons show what auto starts here, dimmed; changing one switches to
   * an explicit pool (the others keep their counts), unticking Auto keeps
   * auto's pool as an explicit one.
   */
  private poolControls(): { box: HTMLElement; auto: HTMLInputElement; counts: HTMLInputElement[] } {
    const auto = el('input', { id: 'cfg-workers-auto', name: 'workers-auto', type: 'checkbox', 'aria-describedby': 'pool-summary cfg-workers-error' });
    const counts = POOL_BACKENDS.map((backend) =>
      el('input', {
        id: `cfg-workers-${backend}`,
        name: `workers-${backend}`,
        type: 'number',
        inputmode: 'numeric',
        min: '0',
        max: String(POOL_MAX),
        step: '1',
        'aria-describedby': 'pool-summary cfg-workers-error',
      }),
    );
    // The spinbuttons carry the refused-value mark: the checkbox cannot hold a bad value.
    this.controls.set('workers', counts);
    const read = () => ({
      workers: POOL_BACKENDS.map((backend, i) => {
        const text = counts[i]?.value.trim() ?? '';
        return { backend, count: text === '' ? text : Number(text) };
      }),
    });
    const box = el('div', { class: 'pool' }, [
      el('div', { class: 'field field-checkbox pool-auto' }, [
        auto,
        // Text: poolAutoName().
        el('label', { for: 'cfg-workers-auto' }, [`${POOL_AUTO_LABEL} `, el('code', {}, ['(workers)'])]),
      ]),
      ...POOL_BACKENDS.map((backend, i) =>
        el('div', { class: 'field field-integer' }, [
          // Text: poolFieldName(backend).
          el('label', { for: `cfg-workers-${backend}` }, [`${backend} workers `, el('code', {}, ['(workers)'])]),
          counts[i] as HTMLInputElement,
        ]),
      ),
    ]);
    for (const input of counts) {
      input.addEventListener('input', () => {
        if (auto.checked) {
          // Typing a count leaves auto. Counts auto had not filled in yet (the machine not yet detected) start at 0.
          for (const other of counts) if (other !== input && other.value.trim() === '') other.value = '0';
          // The store keeps auto until the counts are valid; the checkbox already says what was chosen.
          auto.checked = false;
          box.classList.remove('auto');
        }
        this.commit('workers', read);
      });
    }
    auto.addEventListener('change', () => {
      box.classList.toggle('auto', auto.checked);
      this.commit('workers', () => ({ workers: auto.checked ? 'auto' : explicitFromAuto(this.found) }));
      // The commit's echo skips the field it came from: the counts (auto's pool) are drawn here.
      this.showPool(this.store.get(), true);
    });
    return { box, auto, counts };
  }

  /**
   * The pool's checkbox, counts and summary. `controls`: also overwrite the
   * checkbox and counts (not while the person is typing a count).
   */
  private showPool(config: RunConfig, controls: boolean): void {
    if (controls) {
      const isAuto = config.workers === 'auto';
      this.pool.auto.checked = isAuto;
      this.pool.box.classList.toggle('auto', isAuto);
      const started = startedPool(config.workers, this.found);
      const counts = started ? poolCounts(started) : null;
      this.pool.counts.forEach((input, i) => {
        // Before detection auto's counts are unknown: empty, with a mark saying so.
        input.value = counts ? String(counts[i] ?? 0) : '';
        input.placeholder = counts ? '' : '?';
      });
    }
    this.poolSummary.textContent = poolSummary(config, this.found);
  }

  private message(key: keyof RunConfig): HTMLElement {
    const p = el('p', { class: 'field-error', id: `cfg-${key}-error`, hidden: true });
    this.messages.set(key, p);
    return p;
  }

  /**
   * `read` gives the controls' raw values; the store's validator is what
   * checks them. Every key it sets is cleared of its mark on success (the
   * model a new dataset brought may fix a refused model).
   */
  private commit(key: keyof RunConfig, read: () => Record<string, unknown>): void {
    this.source = key;
    try {
      const partial = read();
      this.store.set(partial as Partial<RunConfig>);
      this.clearError(key);
      for (const other of Object.keys(partial)) if (other !== key) this.clearError(other as keyof RunConfig);
    } catch (e) {
      this.setError(e instanceof ConfigError ? (fieldKeyOf(e.key) as keyof RunConfig) : key, asError(e));
    } finally {
      this.source = null;
    }
    this.onValidity();
  }

  private setError(key: keyof RunConfig, error: Error): void {
    this.invalid.set(key, error);
    for (const c of this.controls.get(key) ?? []) {
      c.setAttribute('aria-invalid', 'true');
      c.setCustomValidity(error.message);
    }
    const message = this.messages.get(key);
    if (message) {
      message.textContent = error.message;
      message.hidden = false;
    }
  }

  private clearError(key: keyof RunConfig): void {
    this.invalid.delete(key);
    for (const c of this.controls.get(key) ?? []) {
      c.removeAttribute('aria-invalid');
      c.setCustomValidity('');
    }
    const message = this.messages.get(key);
    if (message) {
      message.textContent = '';
      message.hidden = true;
    }
  }

  private show(config: RunConfig): void {
    for (const f of FIELDS) {
      if (f.key === this.source) continue;
      if (f.kind === 'workers') continue;
      const control = this.controls.get(f.key)?.[0];
      if (!control) continue;
      const value = config[f.key];
      if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = value === true;
      else control.value = formatConfigValue(f.key, value, '');
    }
    this.showPool(config, this.source !== 'workers');
    this.biasedGroup.classList.toggle('inactive', config.algo !== 'biased');
    const text = isTextDataset(config.dataset);
    for (const f of FIELDS) {
      const field = this.fields.get(f.key);
      if (!field || f.only !== 'text') continue;
      field.hidden = !text;
      // A hidden control cannot be fixed: it shows the store's value (set above), unmarked.
      if (!text && this.invalid.has(f.key)) this.clearError(f.key);
    }
  }
}

/** The control's value in the type the validator expects; text it cannot read goes through as text, to be named in the error. */
function readControl(f: FieldSpec, control: Control): unknown {
  if (control instanceof HTMLInputElement && control.type === 'checkbox') return control.checked;
  if (f.kind === 'select' || f.kind === 'text') return control.value.trim();
  const text = control.value.trim();
  if (text === '') return f.nullable ? null : '';
  return Number(text);
}

