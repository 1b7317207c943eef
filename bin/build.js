#!/usr/bin/env node
'use strict';
// Compiles the TypeScript sources (src/, dialogs/) to plain JavaScript in dist/, file by file,
// keeping the folder layout (npm start runs dist/src/index.js: no transpiler in the running bot).
// Type checking is `npm run typecheck` (tsc); this only strips types, in well under a second.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const sources = [];
for (const dir of ['src', 'dialogs']) {
  for (const entry of fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isFile() && file.endsWith('.ts') && !file.endsWith('.d.ts')) sources.push(file);
  }
}
const out = path.join(root, 'dist');
// nothing changed since the last build (same files, sizes and times, this script included): nothing to do
const stamp = require('node:crypto').createHash('sha256');
for (const f of [...sources.sort(), __filename]) {
  const st = fs.statSync(f);
  stamp.update(`${path.relative(root, f)}\0${st.size}\0${st.mtimeMs}\0`);
}
const digest = stamp.digest('hex');
const stampFile = path.join(out, '.build-stamp');
if (!process.argv.includes('--force') && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === digest) process.exit(0);

// built next to dist/ and swapped in, so a bot already running from dist/ never sees a half-written tree
const next = `${out}.next-${process.pid}`;
const t0 = Date.now();
esbuild.buildSync({
  absWorkingDir: root,
  entryPoints: sources,
  outdir: next,
  outbase: root,
  bundle: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
fs.writeFileSync(path.join(next, '.build-stamp'), digest);
const old = `${out}.old-${process.pid}`;
if (fs.existsSync(out)) fs.renameSync(out, old);
fs.renameSync(next, out);
fs.rmSync(old, { recursive: true, force: true });
if (process.argv.includes('--verbose')) process.stdout.write(`compiled ${sources.length} files to dist/ in ${Date.now() - t0} ms\n`);
