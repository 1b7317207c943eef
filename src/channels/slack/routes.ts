import { WebClient } from '@slack/web-api';
import type { Request, Response, Server } from 'restify';
import type { Engine, TurnInput } from '../../engine/turn';
import type { OutMessage } from '../../engine/wording';
import type { Logger } from '../../logger';
import type { StoredConversationRef } from '../../tickets';
import { canMaskInput } from '../capabilities';
import { CHOICE_ACTION, toSlackMessage } from './blocks';
import { verifySlackRequest } from './verify';

export const SLACK_CHANNEL = 'slack';
export const SLACK_EVENTS_PATH = '/api/slack/events';

export interface SlackDeps {
  engine: Engine;
  logger: Logger;
  slack: { signingSecret: string; botToken: string; apiUrl?: string };
}

/** Sends replies to a Slack conversation outside a user's turn (an agent's answer). */
export type SlackDeliver = (ref: StoredConversationRef, messages: OutMessage[]) => Promise<void>;

interface SlackEvent {
  type?: string;
  subtype?: string;
  bot_id?: string;
  user?: string;
  text?: string;
  channel?: string;
  channel_type?: string;
  ts?: string;
  client_msg_id?: string;
}

const SEEN_KEEP = 2000;

/**
 * Native Slack: the Events API and interactivity on one URL, each request's v0
 * signature checked over the raw body; replies as Block Kit via chat.postMessage.
 */
export function mountSlack(server: Server, deps: SlackDeps): { deliver: SlackDeliver; client: WebClient } {
  const { engine, logger, slack } = deps;
  const client = new WebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
  });
  const seen = new Set<string>();
  const firstTime = (id: string) => {
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_KEEP) seen.delete(seen.values().next().value!);
    return true;
  };

  const ref = (team: string, channel: string, user: string, botUser?: string): StoredConversationRef => ({
    channelId: SLACK_CHANNEL,
    serviceUrl: 'slack:native',
    conversation: { id: `${team}:${channel}` },
    user: { id: `${team}:${user}` },
    bot: { id: botUser ?? 'reclaim' },
  });

  const post = async (channel: string, messages: OutMessage[]) => {
    for (const m of messages) {
      const { text, blocks } = toSlackMessage(m);
      await client.chat.postMessage({ channel, text, blocks: blocks as never, unfurl_links: false, unfurl_media: false });
    }
  };

  /** One turn for a Slack user; replies posted to the channel. Runs after Slack got its 200. */
  const turn = async (team: string, channel: string, user: string, activityId: string, text: string, value?: unknown) => {
    const input: TurnInput = {
      kind: 'message',
      channelId: SLACK_CHANNEL,
      conversationId: `${team}:${channel}`,
      userId: `${team}:${user}`,
      activityId,
      text,
      ...(value !== undefined ? { value } : {}),
      canMask: canMaskInput(SLACK_CHANNEL),
      conversationRef: ref(team, channel, user),
    };
    try {
      const { messages } = await engine.handle(input);
      await post(channel, messages);
    } catch (err) {
      logger.error({ err, channel: SLACK_CHANNEL, conversation: input.conversationId }, 'slack: could not answer');
    }
  };

  server.post(SLACK_EVENTS_PATH, async (req: Request, res: Response) => {
    const raw = typeof (req as { rawBody?: unknown }).rawBody === 'string' ? (req as unknown as { rawBody: string }).rawBody : '';
    const problem = verifySlackRequest(slack.signingSecret, { signature: req.header('x-slack-signature'), timestamp: req.header('x-slack-request-timestamp') }, raw);
    if (problem) {
      logger.warn({ path: SLACK_EVENTS_PATH, reason: problem }, 'slack: request refused');
      res.send(401, { error: 'invalid_signature', message: problem });
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;

    // interactivity: application/x-www-form-urlencoded, payload=<JSON>
    if (typeof body.payload === 'string') {
      let payload: {
        type?: string;
        team?: { id?: string };
        user?: { id?: string; team_id?: string };
        channel?: { id?: string };
        container?: { message_ts?: string };
        actions?: { action_id?: string; value?: string; action_ts?: string }[];
      };
      try {
        payload = JSON.parse(body.payload);
      } catch {
        res.send(400, { error: 'bad_request', message: 'payload is not JSON' });
        return;
      }
      res.send(200);
      const action = payload.actions?.[0];
      const team = payload.team?.id ?? payload.user?.team_id ?? 'T';
      if (payload.type !== 'block_actions' || !action?.action_id?.startsWith(CHOICE_ACTION) || !payload.channel?.id || !payload.user?.id) return;
      const id = `action:${payload.channel.id}:${payload.container?.message_ts ?? ''}:${action.action_ts ?? ''}:${action.action_id}`;
      if (!firstTime(id)) return;
      void turn(team, payload.channel.id, payload.user.id, id, '', { choice: action.value ?? '' });
      return;
    }

    if (body.type === 'url_verification') {
      res.send(200, { challenge: body.challenge });
      return;
    }
    if (body.type !== 'event_callback') {
      res.send(200);
      return;
    }
    const eventId = typeof body.event_id === 'string' ? body.event_id : undefined;
    const event = (body.event ?? {}) as SlackEvent;
    const retry = req.header('x-slack-retry-num');
    if (eventId && !firstTime(`event:${eventId}`)) {
      // Slack retries an event it thinks we missed: it was handled already
      res.header('X-Slack-No-Retry', '1');
      res.send(200);
      logger.debug({ eventId, retry }, 'slack: duplicate delivery ignored');
      return;
    }
    res.send(200);
    if (event.bot_id || event.subtype || !event.user || !event.channel) return; // bots (ourselves included), edits, joins
    const isMention = event.type === 'app_mention';
    if (!isMention && !(event.type === 'message' && (event.channel_type === undefined || event.channel_type === 'im'))) return;
    const team = typeof body.team_id === 'string' ? body.team_id : 'T';
    const text = (event.text ?? '').replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ').trim();
    void turn(team, event.channel, event.user, event.client_msg_id ?? eventId ?? `${event.channel}:${event.ts}`, text);
  });

  const deliver: SlackDeliver = async (r, messages) => {
    const channel = r.conversation.id.split(':').slice(1).join(':');
    if (!channel) throw new Error(`not a Slack conversation id: ${r.conversation.id}`);
    await post(channel, messages);
  };
  return { deliver, client };
}
