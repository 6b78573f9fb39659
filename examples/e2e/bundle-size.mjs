// Prints each built app's production bundle (the files of dist/) raw and gzipped (level 9, as
// a static server would precompress them), and writes them to results/bundles.json.
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const examples = new URL('..', import.meta.url).pathname;
const sizes = {};
for (const app of ['storefront', 'dashboard']) {
  const dist = join(examples, app, 'dist');
  if (!existsSync(dist)) continue;
  const files = (dir) =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  const total = { raw: 0, gzip: 0, js: 0, jsGzip: 0, css: 0, cssGzip: 0 };
  for (const file of files(dist)) {
    const bytes = readFileSync(file);
    const gzip = gzipSync(bytes, { level: 9 }).length;
    total.raw += bytes.length;
    total.gzip += gzip;
    if (file.endsWith('.js')) (total.js += bytes.length), (total.jsGzip += gzip);
    if (file.endsWith('.css')) (total.css += bytes.length), (total.cssGzip += gzip);
  }
  sizes[app] = total;
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${app}: ${kb(total.raw)} (${kb(total.gzip)} gzip); JS ${kb(total.jsGzip)} gzip, CSS ${kb(total.cssGzip)} gzip`);
}
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/bundles.json', import.meta.url), JSON.stringify(sizes, null, 2));
