/**
 * `reclaim teams-package --out FILE`: writes the Microsoft Teams app package
 * (manifest.json with bots[0].botId = MicrosoftAppId, color.png, outline.png)
 * for sideloading or the Teams admin centre. Settings come from the
 * environment and .env, as for `npm start`. Also runnable directly:
 * `npx tsx src/cli/teams-package.ts --out reclaim-teams.zip`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadDotEnv } from '../app';
import { ConfigError, loadConfig, type Config } from '../config';
import { teamsPackage } from '../channels/teams/package';
import { ROOT } from '../paths';

export interface TeamsPackageIO {
  out(text: string): void;
  err(text: string): void;
}

const HELP = `Usage: reclaim teams-package [--out FILE]

Writes the Teams app package (a zip to sideload or upload in the Teams admin centre).
  --out FILE   where to write it (default: reclaim-teams.zip)
Needs MicrosoftAppId (the Azure Bot's app id); see docs/channels.md.`;

/** Writes the package; returns the path written. */
export function writeTeamsPackage(config: Config, out: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = String(require(path.join(ROOT, 'package.json')).version);
  const file = path.resolve(out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, teamsPackage(config, version));
  return file;
}

export async function run(args: string[], io: TeamsPackageIO): Promise<number> {
  let out = 'reclaim-teams.zip';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      io.out(HELP);
      return 0;
    } else if (a === '--out' || a === '-o') {
      const v = args[++i];
      if (!v) {
        io.err('--out needs a file name');
        return 2;
      }
      out = v;
    } else if (a.startsWith('--out=')) out = a.slice(6);
    else {
      io.err(`unknown option ${a}\n\n${HELP}`);
      return 2;
    }
  }
  try {
    loadDotEnv();
    const file = writeTeamsPackage(loadConfig(), out);
    io.out(`Teams app package written: ${file}\nUpload it in Teams (Apps → Manage your apps → Upload an app) or the Teams admin centre.`);
    return 0;
  } catch (err) {
    io.err(err instanceof ConfigError ? err.message : `could not write the Teams package: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  run(process.argv.slice(2), {
    out: (t) => process.stdout.write(t + '\n'),
    err: (t) => process.stderr.write(t + '\n'),
  }).then((code) => (process.exitCode = code));
}
