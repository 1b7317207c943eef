import type { Request, Response, Server } from 'restify';
import type { AccountDirectory } from '../directory';
import type { Engine } from '../engine/turn';
import { Secret } from '../evidence/secret';
import type { SecureLinks } from '../evidence/secure-link';
import { canMaskInput } from '../channels/capabilities';
import type { Logger } from '../logger';
import type { PasswordOutcome } from '../../dialogs/types';
import type { Notifier } from './notifier';

export interface SecureFormDeps {
  links: SecureLinks;
  directory: AccountDirectory;
  engine: Engine;
  notifier: Notifier;
  logger: Logger;
  platformName: string;
  /** counts a password check against the conversation's limit; false when over it */
  allowPasswordCheck?: (conversationKey: string) => Promise<boolean>;
}

const MAX = 3;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
label{display:block;margin:.8rem 0 .2rem}input{font:inherit;width:100%;padding:.5rem;box-sizing:border-box;border:1px solid #c9ced8;border-radius:6px}
button{font:inherit;margin-top:1rem;padding:.55rem 1rem;border:0;border-radius:6px;background:#1f5eff;color:#fff}.muted{color:#6b7280;font-size:.9rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/**
 * The one-time secure page for previous passwords, for chats that cannot mask
 * input. The passwords are checked at once against the account's history and
 * dropped: only the outcomes go back into the conversation.
 */
export function mountSecureForm(server: Server, deps: SecureFormDeps): void {
  const send = (res: Response, status: number, html: string) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    res.sendRaw(status, html);
  };
  const gone = (res: Response, reason: string) =>
    send(res, 410, page('This link no longer works', `<p>${reason === 'used' ? 'It has already been used.' : reason === 'expired' ? 'It has expired (links work for 10 minutes).' : 'It is not valid.'} Go back to the chat and ask again if you still want to give a previous password.</p>`));

  server.get('/secure/:token', async (req: Request, res: Response) => {
    const seen = await deps.links.peek(String(req.params.token));
    if (!seen.ok) return gone(res, seen.reason);
    const fields = Array.from({ length: MAX }, (_, i) => `<label for="p${i}">Previous password ${i + 1}${i ? ' (optional)' : ''}</label><input id="p${i}" name="p${i}" type="password" autocomplete="off" maxlength="200">`).join('');
    send(
      res,
      200,
      page(
        `${deps.platformName} account recovery`,
        `<p>Type passwords you used on this account before. They are checked at once and never stored or shown to anyone, including our staff.</p>
<form method="post" action="/secure/${escapeHtml(String(req.params.token))}">${fields}<button type="submit">Send securely</button></form>
<p class="muted">This page works once. Never give your current password or a login code.</p>`,
      ),
    );
  });

  server.post('/secure/:token', async (req: Request, res: Response) => {
    const used = await deps.links.consume(String(req.params.token));
    if (!used.ok) return gone(res, used.reason);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const secrets = Array.from({ length: MAX }, (_, i) => body[`p${i}`])
      .filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200)
      .map((v) => new Secret(v));
    const { target } = used;
    const outcomes: PasswordOutcome[] = [];
    for (const secret of secrets) {
      if (deps.allowPasswordCheck && !(await deps.allowPasswordCheck(target.conversationKey))) outcomes.push('not_checked');
      else outcomes.push(await deps.directory.verifyPreviousPassword(target.username ?? undefined, secret).catch(() => 'not_checked' as const));
    }
    if (outcomes.length > 0) {
      const ref = target.conversationRef;
      const conversation = {
        channelId: ref.channelId,
        conversationId: ref.conversation.id,
        userId: ref.user.id,
        canMask: canMaskInput(ref.channelId),
        conversationRef: ref,
      };
      try {
        const out = await deps.engine.notify(conversation, { type: 'PASSWORDS_CHECKED', outcomes }, `[${outcomes.length} previous password(s) given on the secure page]`);
        await deps.notifier.deliver(ref, out.messages);
      } catch (err) {
        deps.logger.error({ err, conversation: target.conversationKey }, 'could not continue the conversation after the secure form');
      }
    }
    // the same page whatever matched: no oracle here either
    send(res, 200, page('Thank you', '<p>Done. You can close this page and go back to the chat.</p>'));
  });
}
