/**
 * What this browser context can do, detected once and frozen. The page shows
 * it; workers use it to decide whether a backend can start. Nothing else in
 * Tandem probes the platform.
 */
import type { AdapterReport } from '../protocol';
import { messageOf } from '../core/errors';

export interface Capabilities {
  /** The WebGPU adapter, or null with the reason in `webgpuError`. */
  adapter: AdapterReport | null;
  webgpuError: string | null;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  wasmSimd: boolean;
  hardwareConcurrency: number;
  userAgent: string;
}

// The smallest module using a v128 instruction: validates only with SIMD.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Requests an adapter; the reason when there is none. */
export async function probeWebGpu(): Promise<{ adapter: GPUAdapter | null; report: AdapterReport | null; error: string | null }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    return {
      adapter: null,
      report: null,
      error: 'navigator.gpu is missing: this browser or context has no WebGPU (Chromium needs --enable-unsafe-webgpu on Linux).',
    };
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { adapter: null, report: null, error: 'navigator.gpu.requestAdapter() returned no adapter.' };
    const info = adapter.info;
    const report: AdapterReport = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    };
    return { adapter, report, error: null };
  } catch (e) {
    return { adapter: null, report: null, error: `requestAdapter failed: ${messageOf(e)}` };
  }
}

/** What `workers: auto` is built from (core/config resolveWorkers): the engine and the page's pool control read it alike. */
export interface PoolFound {
  webgpu: boolean;
  cores: number;
}

export function poolFound(caps: Pick<Capabilities, 'adapter' | 'hardwareConcurrency'>): PoolFound {
  return { webgpu: caps.adapter !== null, cores: caps.hardwareConcurrency };
}

let detected: Promise<Readonly<Capabilities>> | null = null;

export function detectCapabilities(): Promise<Readonly<Capabilities>> {
  detected ??= (async () => {
    const webgpu = await probeWebGpu();
    return Object.freeze({
      adapter: webgpu.report,
      webgpuError: webgpu.error,
      crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      wasmSimd: wasmSimdSupported(),
      hardwareConcurrency: globalThis.navigator?.hardwareConcurrency ?? 1,
      userAgent: globalThis.navigator?.userAgent ?? 'unknown',
    });
  })();
  return detected;
}

/** Headers a page needs for SharedArrayBuffer, for messages when they are missing. */
export const ISOLATION_HEADER_NAMES = [
  'Cross-Origin-Opener-Policy: same-origin',
  'Cross-Origin-Embedder-Policy: require-corp',
] as const;
