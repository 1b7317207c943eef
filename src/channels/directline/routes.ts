import { ActivityTypes, type Activity, type ChannelAccount, type CloudAdapter } from 'botbuilder';
import { toConversationReference } from '../../handoff/notifier';
import { ClaimsIdentity, ConnectorClient, MicrosoftAppCredentials } from 'botframework-connector';
import type { Request, Response, Server } from 'restify';
import type { ReclaimBot } from '../botframework/bot';
import { toActivity } from '../botframework/render';
import type { OutMessage } from '../../engine/wording';
import type { StoredConversationRef } from '../../tickets';
import type { Logger } from '../../logger';
import { DirectLineStore, type DlConversation } from './service';
import { randomId, type TokenClaims } from './tokens';

export const DIRECTLINE_CHANNEL = 'directline';

export interface DirectLineDeps {
  server: Server;
  adapter: CloudAdapter;
  bot: ReclaimBot;
  store: DirectLineStore;
  logger: Logger;
  /** the bot as Direct Line shows it (`recipient` of the user's activities) */
  botAccount: ChannelAccount;
  /** how the bot reaches this server (the serviceUrl's origin), e.g. http://127.0.0.1:3978 */
  selfUrl: () => string;
  /** MicrosoftAppId, when the bot has Bot Framework credentials */
  botAppId?: string;
  /** origins allowed to call the Direct Line and token routes from a browser (CORS) */
  allowedOrigins: string[];
  /** when set, the page's tokens come from Azure Direct Line (the Web Chat channel's secret) */
  azure?: { secret: string; url: string };
}

const PREFIX = '/v3/directline';

/** A connector that calls the local service without credentials: the bot is talking to its own process. */
const localConnectors = {
  create: async (serviceUrl: string) => new ConnectorClient(MicrosoftAppCredentials.Empty, { baseUri: serviceUrl }),
};

/**
 * Direct Line v3, inside the bot: what Web Chat (DirectLineJS, polling) calls,
 * and the connector routes the bot's replies and proactive messages are sent to.
 */
export function mountDirectLine(deps: DirectLineDeps): {
  serviceUrl: () => string;
  deliver: (ref: StoredConversationRef, messages: OutMessage[]) => Promise<void>;
} {
  const { server, store, logger } = deps;
  const tokens = store.tokens;
  const connectorKey = tokens.derive('connector');
  const serviceUrl = () => `${deps.selfUrl()}${PREFIX}/connector/${connectorKey}`;

  const cors = (req: Request, res: Response): void => {
    const origin = req.header('origin');
    if (origin && deps.allowedOrigins.includes(origin)) {
      res.header('Access-Control-Allow-Origin', origin);
      res.header('Vary', 'Origin');
      res.header('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, x-ms-bot-agent, x-requested-with');
      res.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.header('Access-Control-Max-Age', '600');
    }
  };
  const fail = (res: Response, status: number, code: string, message: string) => res.send(status, { error: { code, message } });
  const bearer = (req: Request) => /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '')?.[1]?.trim();

  /** The token's claims, or the secret's (`secret: true`); answers 401/403 itself when neither. */
  const caller = (req: Request, res: Response): { claims?: TokenClaims; secret: boolean } | undefined => {
    const presented = bearer(req);
    if (!presented) {
      fail(res, 401, 'BadArgument', 'an "Authorization: Bearer <token>" header is required');
      return undefined;
    }
    const claims = tokens.verify(presented);
    if (claims) return { claims, secret: false };
    if (tokens.isSecret(presented)) return { secret: true };
    fail(res, 403, 'TokenExpired', 'the token is not valid or has expired');
    return undefined;
  };
  const forConversation = (req: Request, res: Response): { c: DlConversation; claims?: TokenClaims } | undefined => {
    const who = caller(req, res);
    if (!who) return undefined;
    const id = String(req.params.conversationId);
    if (who.claims && who.claims.conv !== id) {
      fail(res, 403, 'BadArgument', 'the token is for another conversation');
      return undefined;
    }
    const c = store.get(id);
    if (!c) {
      fail(res, 404, 'BadArgument', 'no such conversation');
      return undefined;
    }
    return { c, claims: who.claims };
  };

  /** Runs one turn of the bot for an activity in a conversation; replies arrive at the connector routes. */
  const deliver = async (c: DlConversation, activity: Partial<Activity>): Promise<void> => {
    const full = {
      ...activity,
      channelId: DIRECTLINE_CHANNEL,
      serviceUrl: serviceUrl(),
      conversation: { id: c.id, isGroup: false, conversationType: 'personal', name: '' },
      recipient: deps.botAccount,
      locale: activity.locale ?? c.locale,
    } as Activity;
    await deps.adapter.processActivityDirect(
      // the bot's own identity (no Azure call: the connector for replies is the local one; a token client is only built, never used)
      { audience: '', claimsIdentity: new ClaimsIdentity(deps.botAppId ? [{ type: 'aud', value: deps.botAppId }, { type: 'appid', value: deps.botAppId }] : [], true), connectorFactory: localConnectors },
      full,
      (context) => deps.bot.run(context),
    );
  };

  const newConversation = async (userId: string, userName: string | undefined, locale?: string): Promise<DlConversation> => {
    const { conversation, created } = store.open(store.newConversationId(), { id: userId, name: userName ?? '' }, locale);
    if (created) await welcome(conversation);
    return conversation;
  };
  const welcome = async (c: DlConversation) => {
    try {
      await deliver(c, {
        type: ActivityTypes.ConversationUpdate,
        id: randomId('cu-'),
        from: { id: c.userId, name: c.userName ?? "", role: "user" } as ChannelAccount,
        membersAdded: [deps.botAccount, { id: c.userId, name: c.userName ?? '' }],
        timestamp: new Date(),
      });
    } catch (err) {
      logger.error({ err, conversation: c.id }, 'direct line: the welcome turn failed');
    }
  };

  const userFrom = (body: unknown): { id?: string; name?: string } => {
    const u = body && typeof body === 'object' ? (body as { user?: { id?: unknown; name?: unknown } }).user : undefined;
    return {
      ...(typeof u?.id === 'string' && /^[\w.:@-]{1,128}$/.test(u.id) ? { id: u.id } : {}),
      ...(typeof u?.name === 'string' ? { name: u.name.slice(0, 100) } : {}),
    };
  };

  // CORS preflight: answered before the body parser (which refuses a request without a content type)
  server.pre((req: Request, res: Response, next: (v?: boolean) => void) => {
    const p = req.path();
    if (req.method === 'OPTIONS' && (p.startsWith(`${PREFIX}/`) || p === '/api/webchat/token')) {
      cors(req, res);
      res.send(204);
      return next(false);
    }
    return next();
  });

  // a site's backend (holding the secret) asks for a token for one user; the token is bound to a new conversation
  server.post(`${PREFIX}/tokens/generate`, async (req: Request, res: Response) => {
    cors(req, res);
    const presented = bearer(req);
    if (!presented || !tokens.isSecret(presented)) return void fail(res, 401, 'Unauthorized', 'tokens are generated with the Direct Line secret: "Authorization: Bearer <DIRECTLINE_SECRET>"');
    const u = userFrom(req.body);
    const conversationId = store.newConversationId();
    const userId = u.id ?? randomId('dl_');
    res.send(200, { conversationId, ...tokens.issue(conversationId, userId) });
  });

  server.post(`${PREFIX}/tokens/refresh`, async (req: Request, res: Response) => {
    cors(req, res);
    const claims = tokens.verify(bearer(req) ?? '');
    if (!claims) return void fail(res, 403, 'TokenExpired', 'the token is not valid or has expired');
    res.send(200, { conversationId: claims.conv, ...tokens.issue(claims.conv, claims.user) });
  });

  server.post(`${PREFIX}/conversations`, async (req: Request, res: Response) => {
    cors(req, res);
    const who = caller(req, res);
    if (!who) return;
    const body = (req.body ?? {}) as { locale?: unknown };
    const locale = typeof body.locale === 'string' ? body.locale.slice(0, 20) : undefined;
    if (who.claims) {
      const { conversation, created } = store.open(who.claims.conv, { id: who.claims.user, name: userFrom(req.body).name ?? '' }, locale);
      if (created) await welcome(conversation);
      return void res.send(201, { conversationId: conversation.id, ...tokens.issue(conversation.id, conversation.userId) });
    }
    const u = userFrom(req.body);
    const c = await newConversation(u.id ?? randomId('dl_'), u.name, locale);
    res.send(201, { conversationId: c.id, ...tokens.issue(c.id, c.userId) });
  });

  server.get(`${PREFIX}/conversations/:conversationId`, async (req: Request, res: Response) => {
    cors(req, res);
    const found = forConversation(req, res);
    if (!found) return;
    res.send(200, { conversationId: found.c.id, ...tokens.issue(found.c.id, found.c.userId) });
  });

  server.get(`${PREFIX}/conversations/:conversationId/activities`, async (req: Request, res: Response) => {
    cors(req, res);
    const found = forConversation(req, res);
    if (!found) return;
    const q = (req.query ?? {}) as { watermark?: string };
    res.send(200, store.since(found.c, q.watermark));
  });

  server.post(`${PREFIX}/conversations/:conversationId/activities`, async (req: Request, res: Response) => {
    cors(req, res);
    const found = forConversation(req, res);
    if (!found) return;
    const a = req.body as Partial<Activity> | undefined;
    if (!a || typeof a !== 'object' || Array.isArray(a) || typeof a.type !== 'string') {
      return void fail(res, 400, 'BadArgument', 'the body must be an activity: a JSON object with a "type"');
    }
    const { c } = found;
    const from = { id: c.userId, name: typeof a.from?.name === 'string' ? a.from.name.slice(0, 100) : c.userName, role: 'user' } as ChannelAccount;
    const activity: Partial<Activity> = {
      type: a.type,
      ...(typeof a.text === 'string' ? { text: a.text.slice(0, 10_000) } : {}),
      ...(a.value !== undefined ? { value: a.value } : {}),
      ...(typeof a.name === 'string' ? { name: a.name } : {}),
      ...(a.channelData !== undefined ? { channelData: a.channelData } : {}),
      ...(Array.isArray(a.attachments) ? { attachments: a.attachments } : {}),
      ...(Array.isArray(a.entities) ? { entities: a.entities } : {}),
      ...(typeof a.locale === 'string' ? { locale: a.locale } : {}),
      ...(typeof a.textFormat === 'string' ? { textFormat: a.textFormat } : {}),
      from,
      conversation: { id: c.id } as Activity['conversation'],
      recipient: deps.botAccount,
      channelId: DIRECTLINE_CHANNEL,
      timestamp: new Date(),
    };
    // the user's own activity is echoed back to the conversation (Web Chat marks it sent), then the bot runs
    const id = store.append(c, { ...withoutSecrets(activity), id: undefined });
    try {
      if (a.type !== ActivityTypes.Typing) await deliver(c, { ...activity, id });
    } catch (err) {
      logger.error({ err, conversation: c.id }, 'direct line: the bot failed on an activity');
      return void fail(res, 502, 'BotError', 'the bot could not handle the activity');
    }
    res.send(200, { id });
  });

  // ---- the bot's side: the serviceUrl of Direct Line conversations points here ----
  const fromBot = async (req: Request, res: Response) => {
    if (String(req.params.key) !== connectorKey) return void res.send(404, { error: { code: 'NotFound', message: 'not found' } });
    const c = store.get(String(req.params.conversationId));
    if (!c) return void res.send(404, { error: { code: 'ConversationNotFound', message: 'no such conversation (it may have ended when the bot restarted)' } });
    const a = req.body as Partial<Activity> | undefined;
    if (!a || typeof a !== 'object' || typeof a.type !== 'string') return void res.send(400, { error: { code: 'BadArgument', message: 'an activity is required' } });
    const { serviceUrl: _internal, ...activity } = a; // the connector's address stays on the server
    const id = store.append(c, {
      ...activity,
      id: undefined,
      channelId: DIRECTLINE_CHANNEL,
      conversation: { id: c.id } as Activity['conversation'],
      from: { ...deps.botAccount, ...(a.from ?? {}), role: 'bot' } as ChannelAccount,
      recipient: { id: c.userId, role: 'user' } as ChannelAccount,
      timestamp: new Date(),
    });
    res.send(200, { id });
  };
  server.post(`${PREFIX}/connector/:key/v3/conversations/:conversationId/activities`, fromBot);
  server.post(`${PREFIX}/connector/:key/v3/conversations/:conversationId/activities/:activityId`, fromBot);

  // ---- the page's token endpoint: no secret reaches the browser ----
  server.post('/api/webchat/token', async (req: Request, res: Response) => {
    cors(req, res);
    const origin = req.header('origin');
    const host = req.header('host');
    if (origin && !deps.allowedOrigins.includes(origin) && !sameOrigin(origin, host)) {
      return void res.send(403, { error: 'origin_not_allowed', message: `add ${origin} to WEBCHAT_ALLOWED_ORIGINS to embed the chat there` });
    }
    if (deps.azure) {
      const userId = randomId('dl_');
      try {
        const r = await fetch(`${deps.azure.url}/tokens/generate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${deps.azure.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: { id: userId } }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!r.ok) throw new Error(`Direct Line answered HTTP ${r.status}`);
        const t = (await r.json()) as { token: string; conversationId: string; expires_in: number };
        return void res.send(200, { token: t.token, conversationId: t.conversationId, expires_in: t.expires_in, userId, domain: deps.azure.url, webSocket: true });
      } catch (err) {
        logger.error({ err }, 'could not get a token from Azure Direct Line');
        return void res.send(502, { error: 'directline_unavailable', message: 'could not get a token from Direct Line' });
      }
    }
    const conversationId = store.newConversationId();
    const userId = randomId('dl_');
    res.send(200, { conversationId, ...tokens.issue(conversationId, userId), userId, domain: null, webSocket: false });
  });

  /**
   * Proactive messages (an agent's answer) for a conversation: straight into the local
   * conversation when it is one of ours (no credentials involved, so this also works
   * with MicrosoftAppId set); otherwise (Azure's Direct Line) through the adapter.
   */
  const deliverProactive = async (ref: StoredConversationRef, messages: OutMessage[]): Promise<void> => {
    const local = ref.serviceUrl.includes(`${PREFIX}/connector/${connectorKey}`);
    if (local) {
      const c = store.get(ref.conversation.id);
      if (!c) throw new Error(`the local Direct Line conversation ${ref.conversation.id} has ended (the bot restarted or it was idle too long)`);
      for (const m of messages) {
        store.append(c, {
          ...toActivity(m, { channelId: DIRECTLINE_CHANNEL }),
          channelId: DIRECTLINE_CHANNEL,
          conversation: { id: c.id } as Activity['conversation'],
          from: deps.botAccount,
          recipient: { id: c.userId, role: 'user' } as ChannelAccount,
          timestamp: new Date(),
        });
      }
      return;
    }
    await deps.adapter.continueConversationAsync(deps.botAppId ?? '', toConversationReference(ref), async (context) => {
      await context.sendActivities(messages.map((m) => toActivity(m, { channelId: ref.channelId })));
    });
  };

  return { serviceUrl, deliver: deliverProactive };
}

/** The echo Direct Line keeps never holds a password typed into a masked card field. */
function withoutSecrets(a: Partial<Activity>): Partial<Activity> {
  const v = a.value;
  if (!v || typeof v !== 'object' || Array.isArray(v) || !('password' in v)) return a;
  const { password: _dropped, ...rest } = v as Record<string, unknown>;
  return { ...a, value: rest };
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
