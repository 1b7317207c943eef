import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the bot reads, validated once at start-up. Nothing else in the
 * code base reads process.env: the composition root passes a Config down.
 */
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

export const configSchema = z.object({
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3978)),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  KNOWLEDGE_DIR: z.preprocess(emptyToUndefined, z.string().default('./knowledge')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  PLATFORM_NAME: z.preprocess(emptyToUndefined, z.string().min(1).max(40).default('TikTok')),
  DEFAULT_PHONE_REGION: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 country code such as US or GB').default('US'),
  ),
  EXPECTED_RESPONSE_TIME: z.preprocess(emptyToUndefined, z.string().min(1).default('within a few days')),
  AGENT_API_TOKEN: z.preprocess(
    emptyToUndefined,
    z.string().min(16, 'must be at least 16 characters (use a long random value)').optional(),
  ),
  AGENT_TOKENS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\s*[\w.-]+:[^,\s]{16,}\s*(,\s*[\w.-]+:[^,\s]{16,}\s*)*$/, 'must be comma-separated name:token pairs, each token at least 16 characters')
      .optional(),
  ),
  PUBLIC_URL: z.preprocess(emptyToUndefined, z.url('must be the URL users reach the bot at, like https://help.example.com').optional()),
  HELPDESK_WEBHOOK_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  HELPDESK_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  HELPDESK_WEBHOOK_RETRY_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).default(1000)),
  MAX_BODY_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1024).default(256 * 1024)),
  MAX_CONCURRENT_TURNS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(100_000).default(48)),
  DEMO_DIRECTORY: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL: postgres://user:password@host:5432/database').optional(),
  ),
  DATABASE_SCHEMA: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL schema name (letters, digits, _)').optional(),
  ),
  DATABASE_POOL_SIZE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(200).default(10)),
  SQLITE_CACHE_MB: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(4096).default(8)),
  LIMIT_TICKETS_PER_USER_PER_DAY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(5)),
  LIMIT_PASSWORD_CHECKS_PER_CONVERSATION: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(10)),
  LIMIT_MESSAGES_PER_MINUTE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(30)),
  METRICS: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  MicrosoftAppId: optionalString,
  MicrosoftAppPassword: optionalString,
  MicrosoftAppType: z.preprocess(emptyToUndefined, z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant')),
  MicrosoftAppTenantId: optionalString,
  // channels (docs/channels.md)
  DIRECTLINE_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters (use a long random value)').optional()),
  WEBCHAT_ALLOWED_ORIGINS: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^\s*https?:\/\/[^\s,/]+(\s*,\s*https?:\/\/[^\s,/]+)*\s*$/, 'must be origins separated by commas, e.g. https://help.example.com').optional(),
  ),
  AZURE_DIRECTLINE_SECRET: optionalString,
  AZURE_DIRECTLINE_URL: z.preprocess(emptyToUndefined, z.url().default('https://directline.botframework.com/v3/directline')),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_API_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  TEAMS_APP_ID: z.preprocess(emptyToUndefined, z.uuid().optional()),
  TEAMS_DEVELOPER_NAME: z.preprocess(emptyToUndefined, z.string().min(1).max(32).default('Reclaim')),
  TEAMS_DEVELOPER_URL: z.preprocess(emptyToUndefined, z.url().startsWith('https://', 'must be an https:// URL').default('https://example.com/reclaim')),
}).superRefine((c, ctx) => {
  if (c.HELPDESK_WEBHOOK_URL && !c.HELPDESK_WEBHOOK_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['HELPDESK_WEBHOOK_SECRET'], message: 'is required when HELPDESK_WEBHOOK_URL is set (it signs every delivery)' });
  }
  if (c.MicrosoftAppId && c.MicrosoftAppType !== 'UserAssignedMSI' && !c.MicrosoftAppPassword) {
    ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: 'is required when MicrosoftAppId is set' });
  }
  if (c.MicrosoftAppType === 'SingleTenant' && c.MicrosoftAppId && !c.MicrosoftAppTenantId) {
    ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: 'is required when MicrosoftAppType is SingleTenant' });
  }
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  knowledgeDir: string;
  logLevel: RawConfig['LOG_LEVEL'];
  platformName: string;
  defaultPhoneRegion: string;
  expectedResponseTime: string;
  agentApiToken?: string;
  /** agents by token: every action records who did it */
  agents: Map<string, string>;
  /** the bot's public base URL, for links users open (the secure password form) */
  publicUrl: string;
  helpdeskWebhook?: { url: string; secret: string; baseBackoffMs: number };
  maxBodyBytes: number;
  /** Bot Framework requests whose turn runs at once in this process (the others wait their turn); 0: no bound */
  maxConcurrentTurns: number;
  demoDirectory: boolean;
  /** PostgreSQL for every store when set; otherwise the embedded SQLite database under dataDir */
  database: { url?: string; schema?: string; poolSize: number; sqliteCacheMb: number };
  /** abuse limits; 0 turns one off */
  limits: { ticketsPerUserPerDay: number; passwordChecksPerConversation: number; messagesPerMinute: number };
  /** GET /metrics (Prometheus) */
  metrics: boolean;
  /** web chat, Direct Line, Teams and Slack (src/channels, docs/channels.md) */
  channels: ChannelsConfig;
  /** the Bot Framework settings, under their Bot Framework names */
  botFramework: {
    MicrosoftAppId?: string;
    MicrosoftAppPassword?: string;
    MicrosoftAppType: RawConfig['MicrosoftAppType'];
    MicrosoftAppTenantId?: string;
  };
}

export interface ChannelsConfig {
  /** signs the local Direct Line's tokens and authorises tokens/generate; random per start when unset */
  directLineSecret?: string;
  /** other sites allowed to embed the chat (CORS) */
  webChatAllowedOrigins: string[];
  /** the page gets its tokens from Azure Direct Line instead of the local one */
  azureDirectLine?: { secret: string; url: string };
  /** native Slack: on only when both are set */
  slack?: { signingSecret: string; botToken: string; apiUrl?: string };
  teams: { appId?: string; developerName: string; developerUrl: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Token → agent name. AGENT_API_TOKEN is the agent named "agent". */
function agentsFrom(pairs: string | undefined, single: string | undefined): Map<string, string> {
  const agents = new Map<string, string>();
  if (single) agents.set(single, 'agent');
  for (const pair of (pairs ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = pair.indexOf(':');
    agents.set(pair.slice(i + 1), pair.slice(0, i));
  }
  return agents;
}

/** Parse settings from an environment-like record. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`));
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir: path.resolve(c.DATA_DIR),
    knowledgeDir: path.resolve(c.KNOWLEDGE_DIR),
    logLevel: c.LOG_LEVEL,
    platformName: c.PLATFORM_NAME,
    defaultPhoneRegion: c.DEFAULT_PHONE_REGION,
    expectedResponseTime: c.EXPECTED_RESPONSE_TIME,
    agentApiToken: c.AGENT_API_TOKEN,
    agents: agentsFrom(c.AGENT_TOKENS, c.AGENT_API_TOKEN),
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ''),
    helpdeskWebhook: c.HELPDESK_WEBHOOK_URL
      ? { url: c.HELPDESK_WEBHOOK_URL, secret: c.HELPDESK_WEBHOOK_SECRET ?? '', baseBackoffMs: c.HELPDESK_WEBHOOK_RETRY_MS }
      : undefined,
    maxBodyBytes: c.MAX_BODY_BYTES,
    maxConcurrentTurns: c.MAX_CONCURRENT_TURNS,
    demoDirectory: c.DEMO_DIRECTORY === 'on',
    database: { url: c.DATABASE_URL, schema: c.DATABASE_SCHEMA, poolSize: c.DATABASE_POOL_SIZE, sqliteCacheMb: c.SQLITE_CACHE_MB },
    limits: {
      ticketsPerUserPerDay: c.LIMIT_TICKETS_PER_USER_PER_DAY,
      passwordChecksPerConversation: c.LIMIT_PASSWORD_CHECKS_PER_CONVERSATION,
      messagesPerMinute: c.LIMIT_MESSAGES_PER_MINUTE,
    },
    metrics: c.METRICS === 'on',
    channels: {
      directLineSecret: c.DIRECTLINE_SECRET,
      webChatAllowedOrigins: (c.WEBCHAT_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean),
      azureDirectLine: c.AZURE_DIRECTLINE_SECRET ? { secret: c.AZURE_DIRECTLINE_SECRET, url: c.AZURE_DIRECTLINE_URL.replace(/\/$/, '') } : undefined,
      slack: c.SLACK_SIGNING_SECRET && c.SLACK_BOT_TOKEN ? { signingSecret: c.SLACK_SIGNING_SECRET, botToken: c.SLACK_BOT_TOKEN, apiUrl: c.SLACK_API_URL } : undefined,
      teams: { appId: c.TEAMS_APP_ID, developerName: c.TEAMS_DEVELOPER_NAME, developerUrl: c.TEAMS_DEVELOPER_URL },
    },
    botFramework: {
      MicrosoftAppId: c.MicrosoftAppId,
      MicrosoftAppPassword: c.MicrosoftAppPassword,
      MicrosoftAppType: c.MicrosoftAppType,
      MicrosoftAppTenantId: c.MicrosoftAppTenantId,
    },
  };
}
