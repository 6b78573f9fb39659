// Starts the stack binary (COMMERCE_STACK_BIN, built by run.sh) on free ports (`--listen
// 127.0.0.1:0`) with a fresh data directory and the demo shop, serving the apps as built;
// the URLs it prints go to the tests as STACK_* variables. Stops it after the run. With
// STACK_GRAPHQL and STACK_STOREFRONT already set, the specs run against that stack instead.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export default async function globalSetup() {
  // Against a stack that is already running: STACK_GRAPHQL and STACK_STOREFRONT name it.
  if (process.env.STACK_GRAPHQL && process.env.STACK_STOREFRONT) return;
  const binary = process.env.COMMERCE_STACK_BIN ?? join(ROOT, 'target/debug/commerce-stack');
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-e2e-'));
  const stack = spawn(binary, ['--listen', '127.0.0.1:0', '--apps', 'serve', '--apps-dir', join(ROOT, 'examples')], {
    env: { ...process.env, COMMERCE_DATA_DIR: dataDir, COMMERCE_LOG_FILTER: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const banner = new Promise<string>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`the stack did not start in 120 s:\n${output}`)), 120_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        ready(output);
      }
    };
    stack.stdout.on('data', read);
    stack.stderr.on('data', read);
    stack.on('exit', (code) => fail(new Error(`the stack exited (${code}):\n${output}`)));
  });
  const text = await banner;
  const url = (pattern: RegExp) => text.match(pattern)?.[1];
  process.env.STACK_GRAPHQL = url(/router GraphiQL\s+(\S+)/);
  process.env.STACK_STOREFRONT = url(/storefront\s+(http\S+)/);
  process.env.STACK_DASHBOARD = url(/dashboard\s+(http\S+)/);
  if (!process.env.STACK_GRAPHQL || !process.env.STACK_STOREFRONT) {
    throw new Error(`the stack's banner lacks the router or the storefront:\n${text}`);
  }
  return async () => {
    stack.kill('SIGTERM');
    await new Promise((done) => {
      const force = setTimeout(() => stack.kill('SIGKILL'), 10_000);
      stack.on('exit', () => {
        clearTimeout(force);
        done(null);
      });
    });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
