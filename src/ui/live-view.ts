/**
 * What the live panel shows of the runs: the status line, the engine's last
 * messages, the run's round notes, the readouts, and the figures (timeline,
 * accuracy and loss of every run, tau and speed per worker, hardest samples).
 * It draws what the page hands it; it keeps no run state of its own.
 */
import { lossText } from './loss-text';
import { percent, seconds } from '../core/format';
import type { HardSample, RoundEvent } from '../protocol';
import { LineChart, type SeriesStyle } from './charts';
import { colour, el } from './dom';
import {
  TIME_AXIS_LABELS,
  accuracyPoints,
  lossPoints,
  runLabel,
  timeline,
  workerSeries,
  type Points,
  type RunRecord,
  type TimeAxis,
} from './run-data';
import { renderSamples } from './samples';
import { bitsText, unigramText } from './text-view';
import { TIMELINE_ROUNDS, renderTimelines } from './timeline';

/** Engine messages kept on the page, newest first. */
const MAX_LOG = 5;
/** Run events kept on the page (the run's history keeps them all). */
const MAX_RUN_EVENTS = 200;
/** A parked worker's line on the per-worker charts, CSS pixels: dash, gap. */
const PARKED_DASH = [4, 4];

/** One drawing of the figures and readouts. */
export interface LiveFrame {
  /** The run on the live charts, or null after Reset. */
  readonly live: RunRecord | null;
  /** The archive's runs, oldest first (the live run among them once it has finished). */
  readonly finished: readonly RunRecord[];
  readonly axis: TimeAxis;
  /** The live run's hardest samples; empty without a live run. */
  readonly hardest: readonly HardSample[];
  /** The characters of the text dataset the hardest samples are windows of (ids in order); null for images. */
  readonly vocabulary: readonly string[] | null;
  /**
   * Set when the live run (or, without one, the config) is on text: accuracy
   * is then next-character accuracy, and test loss reads as bits per
   * character beside the unigram baseline (null until the dataset is loaded).
   */
  readonly text: { readonly unigramBitsPerChar: number | null } | null;
}

type Readout = 'round' | 'accuracy' | 'bits' | 'loss' | 'train' | 'wall';

/** The accuracy readout's label for image and for text runs. */
const ACCURACY_LABELS = { image: 'Test accuracy', text: 'Next-character accuracy' } as const;

export class LiveView {
  readonly status: HTMLElement;
  /** The last few engine messages. */
  readonly log: HTMLElement;
  /** The live run's round notes: workers that left or joined, models left out, learning-rate changes. */
  readonly runEventsBox: HTMLElement;
  readonly readouts: HTMLElement;
  /** The timeline first: it is what shows the idea (nobody waits) at a glance. */
  readonly figures: HTMLElement;
  private readonly runEvents: HTMLOListElement;
  private readonly outputs: Record<Readout, HTMLOutputElement>;
  private readonly accuracyLabel: HTMLLabelElement;
  private readonly bitsBox: HTMLElement;
  private readonly unigram: HTMLElement;
  private readonly charts: { accuracy: LineChart; loss: LineChart; tau: LineChart; speed: LineChart };
  private readonly summaries: { accuracy: HTMLElement; loss: HTMLElement };
  private readonly timelineHost: HTMLElement;
  private readonly samplesHost: HTMLElement;

  constructor() {
    this.status = el('p', { id: 'status', role: 'status' }, ['Loading the dataset…']);
    this.log = el('ul', { class: 'log', 'aria-label': 'Engine messages' });
    this.runEvents = el('ol', { class: 'events', 'aria-labelledby': 'run-events-h', 'aria-live': 'polite' });
    this.runEventsBox = el('div', { class: 'run-events', hidden: true }, [el('h3', { id: 'run-events-h' }, ['Run events']), this.runEvents]);

    const output = (id: Readout, label: string) => {
      const o = el('output', { id: `readout-${id}` }, ['–']);
      const l = el('label', { for: `readout-${id}` }, [label]);
      return { o, l, node: el('div', { class: 'readout' }, [l, o]) };
    };
    const round = output('round', 'Round');
    const accuracy = output('accuracy', ACCURACY_LABELS.image);
    // Text runs only: the last evaluation's test loss in bits per character, beside what character frequencies alone score.
    const bits = output('bits', 'Bits per character');
    this.unigram = el('span', { class: 'readout-note', id: 'readout-unigram' });
    bits.o.setAttribute('aria-describedby', 'readout-unigram');
    bits.node.append(this.unigram);
    bits.node.hidden = true;
    const loss = output('loss', 'Train loss');
    const train = output('train', 'Training time');
    const wall = output('wall', 'Wall time');
    this.accuracyLabel = accuracy.l;
    this.bitsBox = bits.node;
    this.outputs = { round: round.o, accuracy: accuracy.o, bits: bits.o, loss: loss.o, train: train.o, wall: wall.o };
    this.readouts = el('div', { class: 'readouts' }, [round.node, accuracy.node, bits.node, loss.node, train.node, wall.node]);

    const accFig = chartFigure('chart-accuracy', 'Test accuracy', 'every run on this page, each its own line');
    const lossFig = chartFigure('chart-loss', 'Train loss', 'mean over the round’s batches');
    const tauFig = chartFigure('chart-tau', 'tau_i per worker', 'local steps given each round; a parked worker is dashed, at 0');
    const speedFig = chartFigure('chart-speed', 'Steps per second per worker', 'steps / busy time');
    this.summaries = { accuracy: accFig.summary, loss: lossFig.summary };
    this.charts = {
      accuracy: new LineChart(accFig.host, { xLabel: TIME_AXIS_LABELS.wall, yLabel: 'accuracy, %', height: 200, yRange: [0, 100], decimals: 1, faceted: true }),
      loss: new LineChart(lossFig.host, { xLabel: TIME_AXIS_LABELS.wall, yLabel: 'loss', height: 200, decimals: 3, faceted: true }),
      tau: new LineChart(tauFig.host, { xLabel: 'round', yLabel: 'tau_i', height: 180, decimals: 0 }),
      speed: new LineChart(speedFig.host, { xLabel: 'round', yLabel: 'steps/s', height: 180, decimals: 1 }),
    };
    // The per-worker charts have no one-line summary: their legend names the workers.
    tauFig.summary.remove();
    speedFig.summary.remove();

    this.timelineHost = el('div', { class: 'timeline' });
    const timelineFigure = el('figure', { class: 'figure wide', id: 'timeline' }, [
      el('figcaption', {}, [
        el('span', { class: 'fig-title' }, ['Who waits? Busy and idle time per worker']),
        el('span', { class: 'fig-note' }, [
          el('span', { class: 'key busy' }), ' computing ', el('span', { class: 'key idle' }), ' waiting for the others ',
          el('span', { class: 'key parked' }), ' parked (kept started, not training: the pool trains faster without it). ',
          'Each block is one round, drawn to scale. Under sync every worker waits for the slowest at each step; ' +
            'under biased each gets the steps (tau_i) that fill the round. The last finished run of another algorithm is drawn below for comparison.',
        ]),
      ]),
      this.timelineHost,
    ]);
    this.samplesHost = el('div', { class: 'samples' });
    const samplesFigure = el('figure', { class: 'figure wide', id: 'hardest' }, [
      el('figcaption', {}, [
        el('span', { class: 'fig-title' }, ['Hardest samples now']),
        el('span', { class: 'fig-note' }, [
          'highest loss in the loss table, with label and loss (for text, the window’s characters: · space, ↵ line break, → tab); ' +
            'biased sampling sends these to the chosen workers',
        ]),
      ]),
      this.samplesHost,
    ]);
    renderSamples(this.samplesHost, []);
    renderTimelines(this.timelineHost, []);
    this.figures = el('div', { class: 'figures' }, [timelineFigure, accFig.figure, lossFig.figure, tauFig.figure, speedFig.figure, samplesFigure]);
  }

  /** `error`: true marks the status as a failure, false clears the mark, undefined leaves it as it is. */
  say(text: string, error?: boolean): void {
    this.status.textContent = text;
    if (error !== undefined) this.status.classList.toggle('error', error);
  }

  addLog(level: string, message: string): void {
    this.log.prepend(el('li', { class: level }, [message]));
    while (this.log.children.length > MAX_LOG) this.log.lastElementChild?.remove();
  }

  clearLog(): void {
    this.log.replaceChildren();
  }

  /** The round's notes, newest first. */
  addRunEvents(event: RoundEvent): void {
    for (const note of event.notes) this.runEvents.prepend(el('li', {}, [`Round ${event.round}: ${note}`]));
    while (this.runEvents.children.length > MAX_RUN_EVENTS) this.runEvents.lastElementChild?.remove();
    this.runEventsBox.hidden = this.runEvents.children.length === 0;
  }

  /** Replaces the run events with `events`' notes (a new or resumed run's history). */
  showRunEvents(events: readonly RoundEvent[]): void {
    this.runEvents.replaceChildren();
    for (const e of events) this.addRunEvents(e);
    this.runEventsBox.hidden = this.runEvents.children.length === 0;
  }

  setAxis(axis: TimeAxis): void {
    this.charts.accuracy.setXLabel(TIME_AXIS_LABELS[axis]);
    this.charts.loss.setXLabel(TIME_AXIS_LABELS[axis]);
  }

  render({ live, finished, axis, hardest, vocabulary, text }: LiveFrame): void {
    const runs = live && !live.result ? [...finished, live] : finished;
    const styles: SeriesStyle[] = runs.map((r) => ({
      label: runLabel(r) + (r.result ? '' : ' (running)'),
      color: colour(r.n - 1),
      width: r === live ? 2.5 : 1.5,
    }));
    this.charts.accuracy.update(styles, runs.map((r) => accuracyPoints(r.events, axis)));
    this.charts.loss.update(styles, runs.map((r) => lossPoints(r.events, axis)));

    const events = live?.events ?? [];
    const evaluated = events.filter((e) => e.accuracy !== null);
    const lastEval = evaluated[evaluated.length - 1];
    const last = events[events.length - 1];
    const shown = `${finished.length} finished run${finished.length === 1 ? '' : 's'} shown.`;
    this.summaries.accuracy.textContent = live
      ? `Run #${live.n}: ${evaluated.length} evaluation${evaluated.length === 1 ? '' : 's'}` +
        (lastEval ? `, latest ${percent(lastEval.accuracy)}${text ? ' next-character accuracy' : ''} after ${seconds(lastEval.wallMs)}.` : '.') +
        (finished.length > 0 ? ` ${shown}` : '')
      : shown;
    this.summaries.loss.textContent = last ? `Run #${live?.n ?? ''}: loss ${lossText(last.loss)} in round ${last.round}.` : '';

    this.outputs.round.value = last ? String(last.round) : '–';
    this.outputs.accuracy.value = lastEval ? percent(lastEval.accuracy) : '–';
    this.accuracyLabel.textContent = text ? ACCURACY_LABELS.text : ACCURACY_LABELS.image;
    this.bitsBox.hidden = text === null;
    this.outputs.bits.value = text && lastEval ? bitsText(lastEval.testLoss) : '–';
    this.unigram.textContent = text ? unigramText(text.unigramBitsPerChar) : '';
    this.outputs.loss.value = last ? lossText(last.loss) : '–';
    this.outputs.train.value = last ? seconds(last.trainMs) : '–';
    this.outputs.wall.value = last ? seconds(last.wallMs) : '–';

    const ws = workerSeries(events);
    // A parked worker keeps its colour and legend entry, dashed: its tau sits at 0 and its speed breaks off.
    const workerStyles = ws.ids.map((id, i): SeriesStyle => ({
      label: ws.labels[i] ?? `w${id}`,
      color: colour(id),
      spanGaps: false,
      ...(ws.parkedNow[i] ? { dash: PARKED_DASH } : {}),
    }));
    const byRound = (values: (number | null)[][]): Points[] => values.map((ys) => [ws.rounds, ys]);
    this.charts.tau.update(workerStyles, byRound(ws.tau));
    this.charts.speed.update(workerStyles, byRound(ws.stepsPerSecond));

    // Beside the live run, the last finished run of another algorithm: the comparison the timeline is for.
    const liveAlgo = (live?.config ?? live?.result?.config)?.algo;
    const other = live ? finished.filter((r) => r !== live && (r.config ?? r.result?.config)?.algo !== liveAlgo).at(-1) : undefined;
    renderTimelines(
      this.timelineHost,
      [live, other].flatMap((r) =>
        r ? [{ title: runLabel(r) + (r.result ? '' : ' (running)'), timeline: timeline(r.events, TIMELINE_ROUNDS) }] : [],
      ),
    );
    renderSamples(this.samplesHost, hardest, vocabulary);
  }
}

/** A chart's figure: caption, chart host and a one-line summary that describes the figure. */
function chartFigure(id: string, title: string, extra: string): { host: HTMLElement; summary: HTMLElement; figure: HTMLElement } {
  const host = el('div', { class: 'chart' });
  const summary = el('p', { class: 'chart-summary', id: `${id}-summary` });
  const figure = el('figure', { class: 'figure', id, 'aria-describedby': `${id}-summary` }, [
    el('figcaption', {}, [el('span', { class: 'fig-title' }, [title]), extra ? el('span', { class: 'fig-note' }, [extra]) : '']),
    host,
    summary,
  ]);
  return { host, summary, figure };
}
