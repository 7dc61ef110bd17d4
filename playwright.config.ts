import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from './src/bench/chromium';

// The production build (vite build + preview) by default: a fresh dev server
// may re-bundle dependencies and reload the page mid-test, and edits to the
// tree reload it too. E2E_DEV=1 tests against the dev server instead.
const PREVIEW = process.env['E2E_DEV'] !== '1';
const PORT = PREVIEW ? 4318 : 4317;
const executablePath = chromiumExecutable();

export default defineConfig({
  testDir: 'e2e',
  // Two cores and several training workers per page: one page at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 300_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: { ...(executablePath ? { executablePath } : {}), args: [...CHROMIUM_ARGS] },
  },
  webServer: {
    command: PREVIEW ? `npx vite build && npx vite preview --port ${PORT} --strictPort` : `npx vite --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env['CI'],
    timeout: 120_000,
  },
});
