// The storefront's main flows in a real browser against the real stack: a guest buys a product
// with the test provider's card and sees the order; a declined card shows the decline; every
// main page passes axe and is captured for the README.
import { expect, test, type Page } from '@playwright/test';
import { checkAccessibility, screenshot, send, staffToken, STOREFRONT } from './support';

/// Opens the first in-stock product of the listing.
async function openInStockProduct(page: Page) {
  await page.goto(STOREFRONT);
  const grid = page.getByTestId('product-grid');
  await expect(grid.getByRole('listitem').first()).toBeVisible();
  const card = grid.getByRole('listitem').filter({ hasNotText: 'Out of stock' }).first();
  await card.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByTestId('price')).toContainText(/\d/);
}

/// Adds the product to the cart and fills everything checkout needs up to the card (a guest
/// gives an email too).
async function fillCheckout(page: Page, guest = true) {
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await checkoutCart(page, guest);
}

/// From the cart page, everything checkout needs up to the card.
async function checkoutCart(page: Page, guest: boolean) {
  await expect(page.getByRole('heading', { name: 'Your cart' })).toBeVisible();
  await expect(page.getByTestId('grand-total')).toContainText(/\d/);
  await page.getByRole('link', { name: 'Checkout' }).click();
  if (guest) {
    await page.getByLabel('Email').fill('guest@example.com');
    await page.getByRole('button', { name: 'Save email' }).click();
    await expect(page.getByText('Confirmation goes to guest@example.com')).toBeVisible();
  }
  await page.getByLabel('First name').fill('Grace');
  await page.getByLabel('Last name').fill('Guest');
  await page.getByLabel('Street and number').fill('Unter den Linden 1');
  await page.getByLabel('Postal code').fill('10117');
  await page.getByLabel('City').fill('Berlin');
  await page.getByLabel('Country').selectOption('DE');
  await page.getByRole('button', { name: 'Ship here' }).click();
  await expect(page.getByText('Shipping to Grace Guest')).toBeVisible();
  const method = page.getByRole('radio', { name: /—/ }).first();
  await method.click();
  await expect(method).toBeChecked();
  await expect(page.getByRole('button', { name: /^Pay / })).toBeEnabled();
}

test('the catalog, a product, search and load more work and pass axe', async ({ page }) => {
  await page.goto(STOREFRONT);
  const grid = page.getByTestId('product-grid');
  await expect(grid.getByRole('listitem').first()).toBeVisible();
  const before = await grid.locator('.card').count();
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect.poll(() => grid.locator('.card').count()).toBeGreaterThan(before);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'storefront-catalog');
  await checkAccessibility(page, 'catalog');

  await page.getByRole('searchbox', { name: 'Search products' }).fill('shirt');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('shirt');
  await expect(page.getByTestId('product-count')).toBeVisible();
  await screenshot(page, 'storefront-search');
  await checkAccessibility(page, 'search');

  // A category, then a facet narrows it; a collection; the sort.
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link').first().click();
  const count = async () => Number((await page.getByTestId('product-count').textContent())!.split(' ')[0]);
  await expect(page.getByTestId('product-count')).toBeVisible();
  const inCategory = await count();
  const facet = page.getByRole('complementary', { name: 'Filters' }).getByRole('checkbox').first();
  await facet.check();
  await expect.poll(count).toBeLessThan(inCategory);
  await page.getByLabel('Sort by').selectOption('NAME');
  await expect(page.getByTestId('product-grid').getByRole('listitem').first()).toBeVisible();
  await page.getByRole('navigation', { name: 'Categories' }).locator('a.collection').first().click();
  await expect(page.getByTestId('product-grid').getByRole('listitem').first()).toBeVisible();

  await openInStockProduct(page);
  await expect(page.getByTestId('stock')).toContainText('in stock');
  await expect(page.getByRole('heading', { name: 'Reviews' })).toBeVisible();
  await screenshot(page, 'storefront-product');
  await checkAccessibility(page, 'product');
});

test('a guest buys a product with a test card and sees the order', async ({ page }) => {
  await openInStockProduct(page);
  await fillCheckout(page);
  await screenshot(page, 'storefront-checkout');
  await checkAccessibility(page, 'checkout');
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByRole('heading', { name: 'Thank you for your order' })).toBeVisible();
  await expect(page.getByTestId('order-number')).toContainText(/Order #\d+ is placed/);
  await screenshot(page, 'storefront-confirmation');
  await checkAccessibility(page, 'confirmation');
});

test('a declined card shows the decline and places no order', async ({ page }) => {
  await openInStockProduct(page);
  await fillCheckout(page);
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByTestId('checkout-error')).toContainText('Payment declined: the card was declined');
  await expect(page.getByTestId('checkout-error')).toContainText('(CARD_DECLINED)');
  await expect(page.getByRole('heading', { name: 'Checkout' })).toBeVisible();
  await screenshot(page, 'storefront-declined');
});

test('a customer signs in (the guest cart merges), buys, and follows the order live', async ({ page }) => {
  await openInStockProduct(page);
  const product = await page.getByRole('heading', { level: 1 }).textContent();
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('heading', { name: 'Your cart' })).toBeVisible();

  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Email').fill('alan@example.com');
  await page.getByLabel('Password').fill('demo-customer-passphrase');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: /^Hello, / })).toBeVisible();
  await screenshot(page, 'storefront-account');
  await checkAccessibility(page, 'account');

  await page.getByRole('link', { name: /^Cart/ }).click();
  await expect(page.getByRole('link', { name: product! })).toBeVisible();
  await checkoutCart(page, false);
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByRole('heading', { name: 'Thank you for your order' })).toBeVisible();
  await page.getByRole('link', { name: 'Follow your order' }).click();
  await expect(page.getByTestId('order-status')).toHaveText('placed');

  // Staff capture the payment through the router: the page changes without a reload.
  const orderId = decodeURIComponent(page.url().split('/orders/')[1]);
  const staff = await staffToken();
  const captured = await send(
    'dashboard/order_capture',
    { orderId, idempotencyKey: `e2e-capture-${Date.now()}` },
    staff,
  );
  expect(captured.orderCapturePayment.status).toBe('PAID');
  await expect(page.getByTestId('order-status')).toHaveText('paid');
  await screenshot(page, 'storefront-order');
  await checkAccessibility(page, 'order');

  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByTestId('order-history')).toContainText('paid');
});

test('a visitor signs up, is signed in and keeps an address book', async ({ page }) => {
  await page.goto(new URL('register', STOREFRONT).href);
  await page.getByLabel('First name').fill('Hedy');
  await page.getByLabel('Last name').fill('Lamarr');
  await page.getByLabel('Email').fill(`hedy-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('frequency hopping spread spectrum');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Hello, Hedy' })).toBeVisible();
  await expect(page.getByText('No orders yet.')).toBeVisible();
  await page.getByLabel('First name').fill('Hedy');
  await page.getByLabel('Last name').fill('Lamarr');
  await page.getByLabel('Street and number').fill('Kärntner Straße 1');
  await page.getByLabel('Postal code').fill('1010');
  await page.getByLabel('City').fill('Wien');
  await page.getByLabel('Country').selectOption('AT');
  await page.getByRole('button', { name: 'Save address' }).click();
  await expect(page.getByText('Kärntner Straße 1')).toBeVisible();
});
