import { CloudAdapter, StatusCodes, type Activity, type TurnContext } from 'botbuilder';
import { AuthenticationError, type BotFrameworkAuthentication } from 'botframework-connector';
import type { Request, Response } from 'restify';
import { Gate } from '../../limits/gate';

/**
 * botbuilder's CloudAdapter with a leaner HTTP entry point for /api/messages.
 *
 * CloudAdapter.process() builds several zod schemas on every request to check
 * its arguments and the body (a tenth of the HTTP side of a turn, and the
 * largest allocation after the dialog machine). Our route has already checked
 * the body's shape (src/limits/input.ts), so this does what process() does for
 * a POST after its checks: fix the activity's timestamps, authenticate and run
 * the turn (processActivity, unchanged: the caller is authenticated when
 * MicrosoftAppId is set), and answer with the turn's result (the replies for
 * expectReplies, an invoke's response), 401 for a failed authentication.
 * (The Direct Line and Slack routes and proactive messages use CloudAdapter's
 * own methods.)
 *
 * The requests it runs at once are bounded by `gate` (MAX_CONCURRENT_TURNS):
 * a request holds its place from before authentication until its replies are
 * about to be sent, so a slow channel connector never holds one.
 */
export class ReclaimAdapter extends CloudAdapter {
  constructor(
    auth: BotFrameworkAuthentication,
    readonly gate = new Gate(0),
  ) {
    super(auth);
  }

  async processRequest(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const activity = withDates(req.body as Activity);
    const header = req.headers.authorization;
    const leave = await this.gate.enter();
    try {
      const result = await this.processActivity(typeof header === 'string' ? header : '', activity, async (context) => {
        // the replies go out next (to the channel's connector, or into this response for expectReplies): the place is given back first
        context.onSendActivities((_context, _activities, next) => {
          leave();
          return next();
        });
        await logic(context);
      });
      res.send(result?.status ?? StatusCodes.OK, result?.body);
    } catch (err) {
      // anything else is our fault: the route's error handling logs it and answers 500
      if (!(err instanceof AuthenticationError)) throw err;
      res.send(StatusCodes.UNAUTHORIZED, { error: 'unauthorized', message: err.message });
    } finally {
      leave();
    }
  }
}

/** As botbuilder's validateAndFixActivity: the wire's ISO strings become Dates, the originals are kept. */
function withDates(a: Activity): Activity {
  const raw = a as Activity & Record<string, unknown>;
  for (const [field, rawField] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const value = raw[field];
    if (typeof value === 'string') {
      raw[rawField] = value;
      raw[field] = new Date(value) as never;
    }
  }
  return a;
}
