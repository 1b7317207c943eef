import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's root (the folder of its package.json), whether the code runs
 * from src/ (tsx, jest) or compiled into dist/ (npm start): files that ship
 * with the code (public/, knowledge/, the agent console page) are found from here.
 */
export const ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
