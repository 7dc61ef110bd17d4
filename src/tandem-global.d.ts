/**
 * `window.tandem`, the automation API: the page installs it (see TandemApi in
 * protocol.ts), the benchmark and the Playwright tests call it through
 * `page.evaluate`. Declared once here so both sides agree on its type.
 */
import type { TandemApi } from './protocol';

declare global {
  interface Window {
    tandem: TandemApi;
  }
}

export {};
