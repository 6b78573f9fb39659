// What every spec shares: the stack's URLs, screenshots into docs/screenshots/, the axe check,
// and the page-view measurements written to results/metrics.json.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const STOREFRONT = process.env.STACK_STOREFRONT!;
export const DASHBOARD = process.env.STACK_DASHBOARD;
export const GRAPHQL = process.env.STACK_GRAPHQL!;

/// Writes the README's screenshot `docs/screenshots/<name>.png`.
export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(ROOT, 'docs/screenshots', `${name}.png`), fullPage: false });
}

/// Fails on any WCAG 2 A/AA violation axe finds on the page as it is now.
export async function checkAccessibility(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const violations = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`,
  );
  expect(violations, `axe on ${name}`).toEqual([]);
}

/// Counts the GraphQL requests the page sends from now on.
export function countGraphqlRequests(page: Page): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (request.url().startsWith(GRAPHQL) && request.method() !== 'OPTIONS') count += 1;
  });
  return () => count;
}

/// Milliseconds from navigation start to the first paint of the element marked
/// `elementtiming="<identifier>"` (Element Timing API), and to the first contentful paint.
export async function paintTimes(page: Page, identifier: string) {
  return page.evaluate(
    (identifier) =>
      new Promise<{ element: number; fcp: number }>((done) => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
        new PerformanceObserver((list, observer) => {
          const entry = list
            .getEntries()
            .find((e) => (e as PerformanceEntry & { identifier: string }).identifier === identifier);
          if (entry) {
            observer.disconnect();
            done({ element: Math.round(entry.startTime), fcp: Math.round(fcp) });
          }
        }).observe({ type: 'element', buffered: true });
      }),
    identifier,
  );
}

/// Adds `values` under `key` to results/metrics.json.
export function record(key: string, values: unknown) {
  const dir = join(__dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'metrics.json');
  let metrics: Record<string, unknown> = {};
  try {
    metrics = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // first measurement of the run
  }
  metrics[key] = values;
  writeFileSync(file, JSON.stringify(metrics, null, 2));
}

/// Sends the committed document `schema/operations/<name>.graphql` to the router, as the apps
/// do; returns `data` and fails on errors.
export async function send(name: string, variables: Record<string, unknown>, token?: string) {
  const query = readFileSync(join(ROOT, 'schema/operations', `${name}.graphql`), 'utf8');
  const response = await fetch(GRAPHQL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  expect(body.errors, `${name}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  return body.data!;
}

/// The demo administrator's access token.
export async function staffToken(): Promise<string> {
  const data = await send('dashboard/staff_sign_in', {
    email: 'admin@example.com',
    password: 'demo-staff-passphrase',
  });
  return data.staffLogin.accessToken;
}
