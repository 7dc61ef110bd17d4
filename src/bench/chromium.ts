/**
 * Where to find Chromium and how to launch it so that WebGPU works headless
 * (SwiftShader when there is no GPU). Shared by playwright.config.ts and the
 * benchmark so tests and measurements run the same browser the same way.
 */
import { existsSync } from 'node:fs';

/** Debian's package path; used when CHROMIUM_PATH is not set. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * CHROMIUM_PATH, then Debian's /usr/bin/chromium, then undefined so that
 * Playwright uses its own downloaded browser (a laptop with `npx playwright install`).
 */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['CHROMIUM_PATH'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new Error(`CHROMIUM_PATH is "${fromEnv}", but no file is there. Point it at a Chromium binary or unset it.`);
    }
    return fromEnv;
  }
  return existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined;
}

export const CHROMIUM_ARGS: readonly string[] = [
  // WebGPU on Linux is behind this flag; with it SwiftShader gives a real adapter.
  '--enable-unsafe-webgpu',
  // SwiftShader: skip validation and lazy clears, 1.5x faster steps (ENVIRONMENT.md).
  '--enable-dawn-features=disable_robustness,skip_validation',
  '--disable-dawn-features=lazy_clear_resource_on_first_use',
  '--no-sandbox',
  // A closed network refuses these connections and Chromium stalls on them.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Keep workers of a hidden or headless tab at full speed.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];
