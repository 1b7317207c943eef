import type { Config } from '../../config';
import { drawIcon } from './png';
import { createZip } from './zip';

export const TEAMS_MANIFEST_VERSION = '1.17';
const ACCENT = '#FE2C55';

/** The Teams app manifest, filled from settings. */
export function teamsManifest(config: Config, version: string): Record<string, unknown> {
  const botId = config.botFramework.MicrosoftAppId;
  if (!botId) throw new Error('MicrosoftAppId is not set: the Teams package needs the Azure Bot\'s Microsoft App ID (see docs/channels.md)');
  const t = config.channels.teams;
  const platform = config.platformName;
  return {
    $schema: `https://developer.microsoft.com/en-us/json-schemas/teams/v${TEAMS_MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
    manifestVersion: TEAMS_MANIFEST_VERSION,
    version,
    id: t.appId ?? botId,
    packageName: 'org.reclaim.bot',
    developer: {
      name: t.developerName,
      websiteUrl: t.developerUrl,
      privacyUrl: t.developerUrl,
      termsOfUseUrl: t.developerUrl,
    },
    name: { short: 'Reclaim', full: `Reclaim: ${platform} account recovery` },
    description: {
      short: `Get back into a lost ${platform} account.`.slice(0, 80),
      full: `Reclaim walks you through recovering a ${platform} account (forgotten password, missing codes, hacked, deleted or banned accounts) and hands hard cases to the support team with a ticket. It never asks for your current password or a login code.`,
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: ACCENT,
    bots: [
      {
        botId,
        scopes: ['personal', 'team', 'groupChat'],
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [
          {
            scopes: ['personal', 'team', 'groupChat'],
            commands: [
              { title: 'help', description: 'What I can help with' },
              { title: 'my account was hacked', description: 'Secure it now and open an urgent ticket' },
              { title: 'i forgot my password', description: 'The in-app reset, step by step' },
              { title: 'status of my case', description: 'Your open tickets' },
              { title: 'talk to a person', description: 'Hand over to the support team' },
            ],
          },
        ],
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [],
  };
}

/** The zip Teams sideloads: manifest.json, color.png (192×192), outline.png (32×32, white on transparent). */
export function teamsPackage(config: Config, version: string): Buffer {
  const manifest = teamsManifest(config, version);
  return createZip([
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest, null, 2) + '\n') },
    { name: 'color.png', data: drawIcon(192, [255, 255, 255, 255], [0xfe, 0x2c, 0x55, 255]) },
    { name: 'outline.png', data: drawIcon(32, [255, 255, 255, 255]) },
  ]);
}
