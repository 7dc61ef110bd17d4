/** Small DOM helpers shared by the page's parts. */

type Attrs = Partial<Record<string, string | boolean>>;

/** Creates an element; `true` sets a boolean attribute, `false`/undefined leaves it out. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children);
  return node;
}

/**
 * Saves `data` as a file through a temporary link. The object URL is revoked
 * later, not at once: revoking it synchronously can cancel the download.
 */
export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Series colours (Tableau 10): one per run on the comparison charts, one per worker on the worker charts. */
export const PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function colour(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] ?? '#333';
}

/**
 * A refusal the person must see (role alert, so it is announced), with a
 * Dismiss button. It reports; it changes nothing else on the page.
 */
export function errorAlert(message: string, dismissLabel = 'Dismiss'): HTMLElement {
  const box = el('div', { class: 'alert', role: 'alert' }, [el('p', {}, [message])]);
  const dismiss = el('button', { type: 'button' }, [dismissLabel]);
  dismiss.addEventListener('click', () => box.remove());
  box.append(dismiss);
  return box;
}
