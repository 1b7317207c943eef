import { CloudAdapter, StatusCodes, type Activity, type TurnContext } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import type { Request, Response } from 'restify';

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
 */
export class ReclaimAdapter extends CloudAdapter {
  async processRequest(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const activity = withDates(req.body as Activity);
    const header = req.headers.authorization;
    try {
      const result = await this.processActivity(typeof header === 'string' ? header : '', activity, logic);
      res.send(result?.status ?? StatusCodes.OK, result?.body);
    } catch (err) {
      // anything else is our fault: the route's error handling logs it and answers 500
      if (!(err instanceof AuthenticationError)) throw err;
      res.send(StatusCodes.UNAUTHORIZED, { error: 'unauthorized', message: err.message });
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
