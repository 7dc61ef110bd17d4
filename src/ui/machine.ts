/** The "This machine" panel: what the browser offers Tandem, and what to do about anything missing. */
import { ISOLATION_HEADER_NAMES, type Capabilities } from '../backends/capabilities';
import type { WorkerInfo } from '../protocol';
import { el } from './dom';

interface Row {
  name: string;
  ok: boolean;
  text: string;
}

export function machineRows(caps: Readonly<Capabilities>, workers: readonly WorkerInfo[] = []): Row[] {
  const a = caps.adapter;
  const wasmThreads = workers.find((w) => w.report.wasm)?.report.wasm?.threads;
  return [
    {
      name: 'WebGPU adapter',
      ok: a !== null,
      text: a
        ? `${a.vendor || 'unknown vendor'}, architecture ${a.architecture || 'unknown'}` +
          (a.isFallbackAdapter || /swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.description}`)
            ? '. Software fallback (emulated on the CPU): here the WebGPU worker is the slow one.'
            : '. A hardware adapter: the WebGPU worker is likely the fast one.')
        : `None (${caps.webgpuError ?? 'no reason given'}). WebGPU workers fall back to WebAssembly; ` +
          'use a recent Chrome or Edge (on Linux start Chromium with --enable-unsafe-webgpu) for a GPU worker.',
    },
    {
      name: 'Cross-origin isolation',
      ok: caps.crossOriginIsolated && caps.sharedArrayBuffer,
      text: caps.crossOriginIsolated
        ? 'Yes: SharedArrayBuffer is available for weights, losses and the dataset.'
        : `No: this page is not cross-origin isolated, so SharedArrayBuffer is unavailable and Tandem cannot train. ` +
          `The server must send ${ISOLATION_HEADER_NAMES.join(' and ')} (npm start and npm run preview do).`,
    },
    {
      name: 'WebAssembly SIMD',
      ok: caps.wasmSimd,
      text: caps.wasmSimd
        ? 'Yes.'
        : 'No: WASM workers fall back to the plain JavaScript cpu backend, several times slower. Update the browser.',
    },
    {
      name: 'WebAssembly threads',
      ok: caps.sharedArrayBuffer,
      text: caps.sharedArrayBuffer
        ? `Available. Tandem runs ${wasmThreads ?? 1} thread per WASM worker: several single-threaded workers use the cores better than one threaded one.`
        : 'Unavailable without cross-origin isolation (see above).',
    },
    {
      name: 'CPU cores',
      ok: true,
      text: `${caps.hardwareConcurrency} logical. More workers than cores makes each of them slower.`,
    },
  ];
}

export function renderMachine(list: HTMLElement, caps: Readonly<Capabilities>, workers: readonly WorkerInfo[] = []): void {
  list.replaceChildren(
    ...machineRows(caps, workers).flatMap((r) => [
      el('dt', {}, [el('span', { class: r.ok ? 'ok' : 'bad', 'aria-hidden': 'true' }, [r.ok ? '✓' : '✗']), ' ', r.name]),
      el('dd', { class: r.ok ? '' : 'error' }, [r.text]),
    ]),
  );
}
