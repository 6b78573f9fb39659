// GraphiQL works without internet access: the router serves its page and every file it loads.
import { expect, test } from '@playwright/test';
import { GRAPHQL, screenshot } from './support';

test('the router serves GraphiQL with all its files, none from another host', async ({ page }) => {
  const elsewhere: string[] = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === new URL(GRAPHQL).host) return route.continue();
    elsewhere.push(url.href);
    return route.abort();
  });
  const failed: string[] = [];
  page.on('requestfailed', (request) => failed.push(request.url()));
  await page.goto(GRAPHQL);
  await expect(page.locator('.graphiql-container')).toBeVisible();
  // The schema arrived by introspection: the documentation explorer lists the root types.
  await page.getByRole('button', { name: /documentation explorer/i }).click();
  await expect(page.getByText('Root Types')).toBeVisible();
  await screenshot(page, 'graphiql');
  expect(elsewhere).toEqual([]);
  expect(failed).toEqual([]);
});
