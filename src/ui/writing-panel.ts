/**
 * "Watch it write": a text run's global model continues a prompt every N
 * rounds, once more when the run ends, and on Write now, through the same
 * checked `generate` as `window.tandem` (the engine serves it between rounds,
 * off the training clock). The last HISTORY samples stay, newest first, in a
 * list that scrolls back. The settings are the page's own, not the run's:
 * they are in neither RunConfig nor the URL, which holds only the config.
 * A failure is shown in the panel and goes no further.
 */
import { checkGenerateRequest, GENERATE_MAX_LENGTH, GENERATE_MAX_PROMPT } from '../api/automation';
import { ConfigError } from '../core/config';
import { messageOf } from '../core/errors';
import type { GenerateRequest, GenerateResult } from '../protocol';
import { el } from './dom';

/** What the panel's controls hold. */
export interface WritingSettings {
  prompt: string;
  /** Characters to write. */
  length: number;
  temperature: number;
  /** Write after every `every` rounds; 0: only on Write now. */
  every: number;
}

export const WRITING_DEFAULTS: Readonly<WritingSettings> = Object.freeze({
  prompt: 'Call me Ishmael. ',
  length: 200,
  temperature: 0.8,
  every: 5,
});

/** The panel's temperature range: narrower than the API's (0, 5], where samples are still worth reading. */
export const TEMPERATURE_MIN = 0.1;
export const TEMPERATURE_MAX = 2;
/** A guard against a mistyped cadence, not a tuned limit. */
export const MAX_EVERY = 100_000;
/** Samples kept in the panel. */
export const HISTORY = 10;

/**
 * Whether the model should write now, after `round`: every `every` rounds
 * and once at the run's end (`ended`), never twice for the same round
 * (`lastWritten`: the round of this run's last automatic write, or null);
 * never with `every` 0, nor at the end of a run that trained no round.
 */
export function writeDue(d: { round: number; every: number; lastWritten: number | null; ended: boolean }): boolean {
  if (d.every <= 0 || d.round < 1 || d.round === d.lastWritten) return false;
  return d.ended || d.round % d.every === 0;
}

/**
 * The controls' text as settings; a ConfigError names the control (by its
 * key: prompt, length, temperature, every), the value and what is allowed.
 * Prompt and length are checked by the API's rule (checkGenerateRequest);
 * the temperature by the panel's narrower range; `every` is the panel's own.
 */
export function readWritingSettings(raw: { prompt: string; length: string; temperature: string; every: string }): WritingSettings {
  const temperatures = `a number from ${TEMPERATURE_MIN} to ${TEMPERATURE_MAX}`;
  const temperature = readNumber('temperature', raw.temperature, temperatures);
  if (!(temperature >= TEMPERATURE_MIN && temperature <= TEMPERATURE_MAX)) throw new ConfigError('temperature', temperature, temperatures);
  const everies = `an integer from 0 (off) to ${MAX_EVERY}`;
  const every = readNumber('every', raw.every, everies);
  if (!(Number.isInteger(every) && every >= 0 && every <= MAX_EVERY)) throw new ConfigError('every', every, everies);
  const length = readNumber('length', raw.length, `an integer from 1 to ${GENERATE_MAX_LENGTH}`);
  const checked = checkGenerateRequest({ prompt: raw.prompt, length, temperature });
  return { prompt: checked.prompt, length: checked.length, temperature, every };
}

/** A control's number; text that is no finite number is refused as the text it is. */
function readNumber(key: string, text: string, allowed: string): number {
  const t = text.trim();
  const n = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(n)) throw new ConfigError(key, text, allowed);
  return n;
}

export interface WritingPanelDeps {
  /** `tandem.generate`: checks the request, then the engine writes. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

/** One sample in the history. */
interface Written {
  run: number | null;
  request: GenerateRequest;
  result: GenerateResult;
}

type SettingKey = keyof WritingSettings;

export class WritingPanel {
  readonly element: HTMLElement;
  private readonly inputs: Record<SettingKey, HTMLInputElement | HTMLTextAreaElement>;
  private readonly error: HTMLElement;
  private readonly writeNow: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly written: Written[] = [];
  private shown = false;
  /** The run rounds are counted in (its number on this page), its last round, and its last automatic write's round. */
  private run: number | null = null;
  private lastRound = 0;
  private lastWritten: number | null = null;
  private busy = false;
  /** A write asked for while one was in flight; done when it finishes (one waits at most: it reads the model then). */
  private queued = false;

  constructor(private readonly deps: WritingPanelDeps) {
    const d = WRITING_DEFAULTS;
    const number = (key: SettingKey, value: number, min: number, max: number, step: string) =>
      el('input', { id: `write-${key}`, name: key, type: 'number', inputmode: 'decimal', min: String(min), max: String(max), step, value: String(value) });
    this.inputs = {
      prompt: el('textarea', { id: 'write-prompt', name: 'prompt', rows: '2', spellcheck: 'false', maxlength: String(GENERATE_MAX_PROMPT) }),
      temperature: number('temperature', d.temperature, TEMPERATURE_MIN, TEMPERATURE_MAX, '0.1'),
      length: number('length', d.length, 1, GENERATE_MAX_LENGTH, '1'),
      every: number('every', d.every, 0, MAX_EVERY, '1'),
    };
    this.inputs.prompt.value = d.prompt;
    const labelled = (key: SettingKey, text: string) =>
      el('div', { class: `write-field write-${key}` }, [el('label', { for: `write-${key}` }, [text]), this.inputs[key]]);
    this.error = el('p', { class: 'field-error', id: 'write-error', hidden: true });
    this.writeNow = el('button', { type: 'button' }, ['Write now']);
    this.writeNow.addEventListener('click', () => this.ask());
    this.status = el('p', { class: 'note', id: 'write-status', role: 'status' }, ['The model writes once a round has trained.']);
    this.list = el('ol', { class: 'write-history', 'aria-label': 'Written samples, newest first', tabindex: '0' });
    for (const input of Object.values(this.inputs)) {
      input.setAttribute('aria-describedby', 'write-error');
      input.addEventListener('input', () => this.settings());
    }
    this.element = el('section', { class: 'writing', id: 'writing', 'aria-labelledby': 'writing-h', hidden: true }, [
      el('h3', { id: 'writing-h' }, ['Watch it write']),
      el('p', { class: 'note' }, [
        'The global model continues the prompt every N rounds (0: off) and when the run ends, between rounds and off the training clock. ',
        'These settings belong to the page, not to the run.',
      ]),
      el('div', { class: 'write-controls' }, [
        labelled('prompt', 'Prompt'),
        labelled('temperature', 'Temperature'),
        labelled('length', 'Length (characters)'),
        labelled('every', 'Write every N rounds'),
        this.writeNow,
      ]),
      this.error,
      this.status,
      this.list,
    ]);
    this.renderHistory();
  }

  /** Shown for text runs (and a text config); a hidden panel writes nothing by itself. */
  setShown(shown: boolean): void {
    this.shown = shown;
    this.element.hidden = !shown;
  }

  /**
   * A new run (its number on this page) from round `fromRound` (a resumed
   * run's saved round, else 0): the cadence counts its rounds, and the end
   * of a run that trains none writes nothing.
   */
  runStarted(run: number | null, fromRound = 0): void {
    this.run = run;
    this.lastRound = fromRound;
    this.lastWritten = fromRound > 0 ? fromRound : null;
  }

  /** A round of the run ended: writes when the cadence says so. */
  roundDone(round: number): void {
    this.lastRound = round;
    this.auto(false);
  }

  /** The run ended: the final model writes once more, unless it just did. */
  runEnded(): void {
    this.auto(true);
  }

  /** Empties the history (Reset). */
  clear(): void {
    this.written.length = 0;
    this.renderHistory();
    this.say('The model writes once a round has trained.', false);
  }

  private auto(ended: boolean): void {
    if (!this.shown) return;
    const settings = this.settings();
    if (!settings || !writeDue({ round: this.lastRound, every: settings.every, lastWritten: this.lastWritten, ended })) return;
    this.lastWritten = this.lastRound;
    this.ask();
  }

  private ask(): void {
    if (this.busy) this.queued = true;
    else void this.write();
  }

  private async write(): Promise<void> {
    const settings = this.settings();
    if (!settings) return;
    this.busy = true;
    this.writeNow.disabled = true;
    this.say(`Writing ${settings.length} characters…`, false);
    try {
      const request = checkGenerateRequest({ prompt: settings.prompt, length: settings.length, temperature: settings.temperature });
      const result = await this.deps.generate(request);
      this.written.unshift({ run: this.run, request, result });
      this.written.length = Math.min(this.written.length, HISTORY);
      this.renderHistory();
      this.say(`Wrote ${[...result.text].length} characters with the model of round ${result.round} in ${Math.round(result.ms)} ms.`, false);
    } catch (e) {
      this.say(`Could not write: ${messageOf(e)}`, true);
    } finally {
      this.busy = false;
      this.writeNow.disabled = !this.error.hidden;
      if (this.queued) {
        this.queued = false;
        void this.write();
      }
    }
  }

  /** The controls' settings, or null with the refusal shown at the control it names. */
  private settings(): WritingSettings | null {
    for (const input of Object.values(this.inputs)) input.removeAttribute('aria-invalid');
    try {
      const settings = readWritingSettings({
        prompt: this.inputs.prompt.value,
        length: this.inputs.length.value,
        temperature: this.inputs.temperature.value,
        every: this.inputs.every.value,
      });
      this.error.hidden = true;
      this.error.textContent = '';
      if (!this.busy) this.writeNow.disabled = false;
      return settings;
    } catch (e) {
      const key = e instanceof ConfigError ? (e.key as SettingKey) : null;
      if (key && key in this.inputs) this.inputs[key].setAttribute('aria-invalid', 'true');
      this.error.textContent = messageOf(e);
      this.error.hidden = false;
      this.writeNow.disabled = true;
      return null;
    }
  }

  private say(text: string, error: boolean): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }

  private renderHistory(): void {
    if (this.written.length === 0) {
      this.list.replaceChildren(el('li', { class: 'empty' }, ['Nothing written yet.']));
      return;
    }
    this.list.replaceChildren(
      ...this.written.map(({ run, request, result }) =>
        el('li', { class: 'write-sample' }, [
          el('p', { class: 'write-meta' }, [
            `${run === null ? '' : `Run #${run}, `}round ${result.round} · temperature ${request.temperature} · ` +
              `${[...result.text].length} characters · ${Math.round(result.ms)} ms`,
          ]),
          el('p', { class: 'written' }, [el('span', { class: 'prompt' }, [request.prompt]), el('span', { class: 'continuation' }, [result.text])]),
        ]),
      ),
    );
  }
}
