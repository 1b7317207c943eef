import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  test('needs nothing: every setting has a working default', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3978, platformName: 'TikTok', defaultPhoneRegion: 'US', expectedResponseTime: 'within a few days', demoDirectory: true });
    expect(c.dataDir).toMatch(/data$/);
    expect(c.agentApiToken).toBeUndefined();
    expect(c.botFramework.MicrosoftAppId).toBeUndefined();
  });

  test('empty values count as unset (as in a copied .env.example)', () => {
    expect(loadConfig({ PORT: '', MicrosoftAppId: '', AGENT_API_TOKEN: '' }).port).toBe(3978);
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DEFAULT_PHONE_REGION: 'usa' }, 'DEFAULT_PHONE_REGION'],
    [{ AGENT_API_TOKEN: 'short' }, 'AGENT_API_TOKEN'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ MicrosoftAppId: 'abc' }, 'MicrosoftAppPassword'],
    [{ MicrosoftAppId: 'abc', MicrosoftAppPassword: 'x', MicrosoftAppType: 'SingleTenant' }, 'MicrosoftAppTenantId'],
  ])('a bad setting %j stops start-up naming %s and the reason', (env, name) => {
    let error: unknown;
    try {
      loadConfig(env as Record<string, string>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.some((p) => p.startsWith(`${name}: `) && p.length > name.length + 4)).toBe(true);
  });
});
