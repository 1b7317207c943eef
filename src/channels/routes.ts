import type { CloudAdapter } from 'botbuilder';
import type { Server } from 'restify';
import type { Config } from '../config';
import type { Engine } from '../engine/turn';
import type { Logger } from '../logger';
import type { ReclaimBot } from './botframework/bot';
import { DIRECTLINE_CHANNEL, mountDirectLine } from './directline/routes';
import { DirectLineStore } from './directline/service';
import { mountWebChatPage } from './directline/static';
import { randomId, TokenIssuer } from './directline/tokens';
import { mountSlack, SLACK_CHANNEL, type SlackDeliver } from './slack/routes';

export interface ChannelRouteDeps {
  adapter: CloudAdapter;
  bot: ReclaimBot;
  engine: Engine;
  config: Config;
  logger: Logger;
}

export interface MountedChannels {
  /** channels that deliver proactive messages themselves (each registered with the Notifier) */
  deliverers: Record<string, SlackDeliver>;
}

/** Every channel's routes: the web chat page, the local Direct Line, and native Slack when configured. */
export function mountChannelRoutes(server: Server, deps: ChannelRouteDeps): MountedChannels {
  const { config, logger } = deps;
  const ch = config.channels;
  const tokens = new TokenIssuer(ch.directLineSecret ?? randomId('', 32));
  const selfUrl = () => selfOrigin(server);
  mountWebChatPage(server);
  const directLine = mountDirectLine({
    server,
    adapter: deps.adapter,
    bot: deps.bot,
    store: new DirectLineStore(tokens),
    logger,
    botAccount: { id: config.botFramework.MicrosoftAppId ?? 'reclaim', name: 'Reclaim', role: 'bot' },
    selfUrl,
    botAppId: config.botFramework.MicrosoftAppId,
    allowedOrigins: ch.webChatAllowedOrigins,
    azure: ch.azureDirectLine,
  });
  const deliverers: MountedChannels['deliverers'] = { [DIRECTLINE_CHANNEL]: directLine.deliver };
  if (ch.slack) deliverers[SLACK_CHANNEL] = mountSlack(server, { engine: deps.engine, logger, slack: ch.slack }).deliver;
  return { deliverers };
}

/** How this process reaches itself: the address it listens on (a wildcard address is reached on loopback). */
export function selfOrigin(server: Server): string {
  const addr = server.address() as { address: string; port: number; family: string } | null;
  if (!addr) throw new Error('the server is not listening yet');
  const wildcard = addr.address === '0.0.0.0' || addr.address === '::';
  const host = wildcard ? '127.0.0.1' : addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}
