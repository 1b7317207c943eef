import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_AGE_SECONDS = 5 * 60;

/** Slack's v0 request signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** Why a request is not from Slack, or undefined when it is (signature right, timestamp within 5 minutes). */
export function verifySlackRequest(
  signingSecret: string,
  headers: { signature?: string; timestamp?: string },
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | undefined {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return 'the X-Slack-Signature and X-Slack-Request-Timestamp headers are required';
  if (!/^\d{1,12}$/.test(timestamp)) return 'the X-Slack-Request-Timestamp header is not a Unix time';
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_AGE_SECONDS) return 'the request timestamp is more than 5 minutes away from now';
  const want = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (want.length !== given.length || !timingSafeEqual(want, given)) return 'the signature does not match';
  return undefined;
}
