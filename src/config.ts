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
  MAX_BODY_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1024).default(256 * 1024)),
  DEMO_DIRECTORY: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  MicrosoftAppId: optionalString,
  MicrosoftAppPassword: optionalString,
  MicrosoftAppType: z.preprocess(emptyToUndefined, z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant')),
  MicrosoftAppTenantId: optionalString,
}).superRefine((c, ctx) => {
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
  maxBodyBytes: number;
  demoDirectory: boolean;
  /** the Bot Framework settings, under their Bot Framework names */
  botFramework: {
    MicrosoftAppId?: string;
    MicrosoftAppPassword?: string;
    MicrosoftAppType: RawConfig['MicrosoftAppType'];
    MicrosoftAppTenantId?: string;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
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
    maxBodyBytes: c.MAX_BODY_BYTES,
    demoDirectory: c.DEMO_DIRECTORY === 'on',
    botFramework: {
      MicrosoftAppId: c.MicrosoftAppId,
      MicrosoftAppPassword: c.MicrosoftAppPassword,
      MicrosoftAppType: c.MicrosoftAppType,
      MicrosoftAppTenantId: c.MicrosoftAppTenantId,
    },
  };
}
