import {
  AuthenticationConstants,
  BotFrameworkAuthentication,
  ConnectorFactory,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorClient,
  type UserTokenClient,
} from 'botframework-connector';
import type { Activity } from 'botbuilder';

/** At most this many clients of each kind are kept (one per bot identity and channel service URL in practice). */
const MAX_CLIENTS = 256;

/**
 * botbuilder's CloudAdapter builds a new ConnectorClient and a new
 * UserTokenClient (each an Azure HTTP pipeline with its credentials) for every
 * activity, even when the reply travels back in the HTTP response
 * (`expectReplies`); that was a quarter of the HTTP side of a turn. The
 * clients hold no per-turn state, and reusing them also reuses their
 * credentials' token cache (as botbuilder's older BotFrameworkAdapter did), so
 * they are kept here, one per bot identity, service URL and audience.
 * Authentication itself is untouched: every request is still checked by the
 * wrapped implementation.
 */
export class ClientCachingAuthentication extends BotFrameworkAuthentication {
  private readonly connectors = new Map<string, Promise<ConnectorClient>>();
  private readonly tokenClients = new Map<string, Promise<UserTokenClient>>();

  constructor(private readonly inner: BotFrameworkAuthentication) {
    super();
  }

  async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await this.inner.authenticateRequest(activity, authHeader);
    return { ...result, connectorFactory: this.caching(result.connectorFactory, result.claimsIdentity) };
  }

  async authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    const result = await this.inner.authenticateStreamingRequest(authHeader, channelIdHeader);
    return { ...result, connectorFactory: this.caching(result.connectorFactory, result.claimsIdentity) };
  }

  createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.caching(this.inner.createConnectorFactory(claimsIdentity), claimsIdentity);
  }

  createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return remember(this.tokenClients, identityKey(claimsIdentity), () => this.inner.createUserTokenClient(claimsIdentity));
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }

  private caching(factory: ConnectorFactory | undefined, identity: ClaimsIdentity): ConnectorFactory {
    // (no factory: authentication failed upstream, and CloudAdapter reports it)
    return factory ? new CachingConnectorFactory(factory, identity, this.connectors) : (factory as unknown as ConnectorFactory);
  }
}

class CachingConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly inner: ConnectorFactory,
    private readonly identity: ClaimsIdentity,
    private readonly cache: Map<string, Promise<ConnectorClient>>,
  ) {
    super();
  }

  create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    return remember(this.cache, `${identityKey(this.identity)}\n${serviceUrl}\n${audience ?? ''}`, () => this.inner.create(serviceUrl, audience));
  }
}

/** The claims that select the bot's credentials (the app id, the audience, the caller). */
function identityKey(identity: ClaimsIdentity): string {
  const claim = (type: string) => identity.getClaimValue(type) ?? '';
  return [
    claim(AuthenticationConstants.AudienceClaim),
    claim(AuthenticationConstants.AppIdClaim),
    claim(AuthenticationConstants.AuthorizedParty),
    claim(AuthenticationConstants.VersionClaim),
  ].join('\n');
}

/** The cached promise for `key`, or a new one from `make`; a failed creation is forgotten, so the next turn tries again. */
function remember<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) return hit;
  if (cache.size >= MAX_CLIENTS) cache.delete(cache.keys().next().value as string);
  const made = make();
  cache.set(key, made);
  made.catch(() => {
    if (cache.get(key) === made) cache.delete(key);
  });
  return made;
}
