#!/usr/bin/env node
'use strict';
// Launcher for the `reclaim` command-line tool: registers tsx (a runtime dependency) so the
// TypeScript sources run as they are, then hands over to src/cli/reclaim.ts.
require('tsx/cjs');
const path = require('node:path');
const { main } = require(path.join(__dirname, '..', 'src', 'cli', 'reclaim.ts'));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`reclaim: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
