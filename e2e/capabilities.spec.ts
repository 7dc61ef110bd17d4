/** Without cross-origin isolation there is no SharedArrayBuffer: the page says so and names the headers. */
import { expect, test } from '@playwright/test';

test('a page served without COOP/COEP says it is not cross-origin isolated and names the headers', async ({ page }) => {
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto('/');
  await expect(page.getByRole('status').first()).toContainText('not cross-origin isolated');
  await expect(page.locator('#machine')).toContainText('Cross-Origin-Embedder-Policy: require-corp');
  await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();
});
