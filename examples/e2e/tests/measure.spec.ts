// Page-view figures for BENCHMARKS.md: time to the first paint of the product list and of the
// product page (Element Timing, from navigation start), first contentful paint, and the GraphQL
// requests one page view sends — with a cold browser and router (APQ registers each document:
// a miss, then the document), and again with a cold browser and a warm router (hash only).
import { expect, test, type Browser } from '@playwright/test';
import { countGraphqlRequests, paintTimes, record, STOREFRONT } from './support';

async function pageViews(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = countGraphqlRequests(page);

  await page.goto(STOREFRONT);
  await expect(page.getByTestId('product-grid').getByRole('listitem').first()).toBeVisible();
  const list = await paintTimes(page, 'product-list');
  await page.waitForLoadState('networkidle');
  const listRequests = requests();
  const href = await page.getByTestId('product-grid').getByRole('link').first().getAttribute('href');

  await page.goto(new URL(href!, STOREFRONT).href);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const product = await paintTimes(page, 'product-page');
  await page.waitForLoadState('networkidle');
  const productRequests = requests() - listRequests;
  await context.close();
  return {
    productList: { ...list, graphqlRequests: listRequests },
    productPage: { ...product, graphqlRequests: productRequests },
  };
}

test('measures the product list and product page views', async ({ browser }) => {
  // The first view may also be the router's first sight of these documents (APQ misses).
  const first = await pageViews(browser);
  const warm: Awaited<ReturnType<typeof pageViews>>[] = [];
  for (let i = 0; i < 3; i++) warm.push(await pageViews(browser));
  const median = (pick: (v: typeof first) => number) =>
    warm.map(pick).sort((a, b) => a - b)[Math.floor(warm.length / 2)];
  const figures = {
    first,
    warmRouterMedian: {
      productList: {
        element: median((v) => v.productList.element),
        fcp: median((v) => v.productList.fcp),
        graphqlRequests: median((v) => v.productList.graphqlRequests),
      },
      productPage: {
        element: median((v) => v.productPage.element),
        fcp: median((v) => v.productPage.fcp),
        graphqlRequests: median((v) => v.productPage.graphqlRequests),
      },
    },
  };
  record('storefront', figures);
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.warmRouterMedian.productList.element).toBeGreaterThan(0);
});
