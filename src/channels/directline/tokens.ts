import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a Direct Line token grants: one conversation, as one user, until `exp` (seconds since the epoch). */
export interface TokenClaims {
  conv: string;
  user: string;
  exp: number;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * Short-lived signed tokens (HMAC-SHA256 over the claims). The secret never
 * leaves the server: the browser only ever holds a token for its own conversation.
 */
export class TokenIssuer {
  constructor(
    private readonly secret: string,
    readonly ttlSeconds = 1800,
  ) {}

  issue(conv: string, user: string, now = Date.now()): { token: string; expires_in: number } {
    const claims: TokenClaims = { conv, user, exp: Math.floor(now / 1000) + this.ttlSeconds };
    const body = `dl1.${b64u(JSON.stringify(claims))}`;
    return { token: `${body}.${this.mac(body)}`, expires_in: this.ttlSeconds };
  }

  /** The claims of a valid, unexpired token; undefined otherwise. */
  verify(token: string, now = Date.now()): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'dl1') return undefined;
    const body = `${parts[0]}.${parts[1]}`;
    const given = Buffer.from(parts[2]!);
    const want = Buffer.from(this.mac(body));
    if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as TokenClaims;
      if (typeof claims.conv !== 'string' || typeof claims.user !== 'string' || typeof claims.exp !== 'number') return undefined;
      return claims.exp * 1000 > now ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /** Compares a presented secret with ours in constant time. */
  isSecret(candidate: string): boolean {
    const a = createHmac('sha256', 'cmp').update(candidate).digest();
    const b = createHmac('sha256', 'cmp').update(this.secret).digest();
    return timingSafeEqual(a, b);
  }

  /** A stable, unguessable value derived from the secret (the bot's connector path key). */
  derive(label: string): string {
    return createHmac('sha256', this.secret).update(`derive:${label}`).digest('base64url').slice(0, 32);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}

export const randomId = (prefix = '', bytes = 12) => `${prefix}${randomBytes(bytes).toString('base64url')}`;
