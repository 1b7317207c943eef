import { loadConfig, ConfigError } from './config';
import { KnowledgeError } from './knowledge';
import { createApp, loadDotEnv } from './app';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const app = await createApp(config);
  const url = await app.listen();
  app.logger.info(
    { url, dataDir: config.dataDir, startupMs: app.startupMs, auth: config.botFramework.MicrosoftAppId ? 'on' : 'off', agentApi: config.agentApiToken ? 'on' : 'off' },
    `Reclaim is ready: chat at ${url}/ · agents at ${url}/agent · Bot Framework endpoint ${url}/api/messages`,
  );
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof KnowledgeError) {
    process.stderr.write(`Reclaim cannot start. ${err.message}\n`);
  } else {
    process.stderr.write(`Reclaim cannot start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
