/**
 * The training samples the loss table currently ranks hardest: images drawn
 * with their labels, or, for a text dataset, each window's characters as a
 * snippet (whitespace made visible), with its loss.
 */
import { lossText } from './loss-text';
import type { HardSample } from '../protocol';
import { el } from './dom';
import { rawText, snippetText } from './text-view';

/** `vocabulary`: the text dataset's characters in id order (DatasetInfo.text.vocabulary), or null for images. */
export function renderSamples(host: HTMLElement, samples: readonly HardSample[], vocabulary: readonly string[] | null = null): void {
  host.classList.toggle('text', vocabulary !== null);
  if (samples.length === 0) {
    host.replaceChildren(el('p', { class: 'empty' }, ['No losses recorded yet: samples appear once workers have trained on them.']));
    return;
  }
  host.replaceChildren(...samples.map((s) => (vocabulary ? textSample(s, vocabulary) : imageSample(s))));
}

function textSample(s: HardSample, vocabulary: readonly string[]): HTMLElement {
  const loss = lossText(s.loss, 2);
  return el('figure', { class: 'sample text-sample', 'aria-label': `Training window ${s.index}, loss ${loss}: ${rawText(s.pixels, vocabulary)}` }, [
    el('pre', { class: 'snippet' }, [snippetText(s.pixels, vocabulary)]),
    el('figcaption', {}, [`window ${s.index} · loss ${loss}`]),
  ]);
}

function imageSample(s: HardSample): HTMLElement {
  const [height, width, channels] = s.shape;
  const name = s.className ?? `class ${s.label}`;
  const canvas = el('canvas', {
    width: String(width),
    height: String(height),
    role: 'img',
    'aria-label': `${name}, training sample ${s.index}, loss ${lossText(s.loss, 2)}`,
  });
  const ctx = canvas.getContext('2d');
  if (ctx) {
    const image = ctx.createImageData(width, height);
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) {
        const v = s.pixels[p * channels + (channels === 1 ? 0 : c)] ?? 0;
        // Grey sets store the object bright on black; dark ink on white reads better here.
        image.data[4 * p + c] = channels === 1 ? 255 - v : v;
      }
      image.data[4 * p + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }
  return el('figure', { class: 'sample' }, [canvas, el('figcaption', {}, [el('span', { class: 'sample-label' }, [name]), ` ${lossText(s.loss, 2)}`])]);
}
