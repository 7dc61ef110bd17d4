import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from './src/bench/chromium';

// E2E_PREVIEW=1 tests the production build (vite build + preview) instead of the dev server.
const PREVIEW = process.env['E2E_PREVIEW'] === '1';
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
