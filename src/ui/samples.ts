/** The training samples the loss table currently ranks hardest, drawn as images with their labels. */
import type { HardSample } from '../protocol';
import { className } from './run-data';
import { el } from './dom';

export function renderSamples(host: HTMLElement, samples: readonly HardSample[], shape: readonly [number, number, number]): void {
  if (samples.length === 0) {
    host.replaceChildren(el('p', { class: 'empty' }, ['No losses recorded yet: samples appear once workers have trained on them.']));
    return;
  }
  const [height, width, channels] = shape;
  host.replaceChildren(
    ...samples.map((s) => {
      const canvas = el('canvas', {
        width: String(width),
        height: String(height),
        role: 'img',
        'aria-label': `${className(s.label)}, training sample ${s.index}, loss ${s.loss.toFixed(2)}`,
      });
      const ctx = canvas.getContext('2d');
      if (ctx) {
        const image = ctx.createImageData(width, height);
        for (let p = 0; p < width * height; p++) {
          // Dark ink on white: Fashion-MNIST stores the object bright on black.
          const v = 255 - (s.pixels[p * channels] ?? 0);
          image.data[4 * p] = v;
          image.data[4 * p + 1] = v;
          image.data[4 * p + 2] = v;
          image.data[4 * p + 3] = 255;
        }
        ctx.putImageData(image, 0, 0);
      }
      return el('figure', { class: 'sample' }, [
        canvas,
        el('figcaption', {}, [el('span', { class: 'sample-label' }, [className(s.label)]), ` ${s.loss.toFixed(2)}`]),
      ]);
    }),
  );
}
