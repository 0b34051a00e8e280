import type { Server } from 'node:http';
import { ConfigError, config } from './platform/config';
import { AppError } from './platform/errors';
import { EmbeddedDbUnavailableError } from './platform/db/embedded';

async function main(): Promise<void> {
  try {
    config();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const { logger } = await import('./platform/logger');
  const { startServices, stopServices } = await import('./bootstrap');
  const { createApp } = await import('./app');
  const { startAppWorkers } = await import('./jobs');
  try {
    await startServices();
  } catch (e) {
    const message = startupFailureMessage(e);
    if (message) {
      process.stderr.write(`\n${message}\n\n`);
      await stopServices().catch(() => undefined);
      process.exit(3);
    }
    throw e;
  }
  const workers = startAppWorkers();
  const cfg = config();
  const server: Server = createApp().listen(cfg.PORT, cfg.HOST, () => {
    logger.info({ url: cfg.publicUrl }, `listening on http://${cfg.HOST}:${cfg.PORT}`);
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    server.close(() => {
      workers
        .stop()
        .then(() => stopServices())
        .then(() => process.exit(0))
        .catch(() => process.exit(1));
    });
    server.closeIdleConnections?.();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** Start-up problems an operator can fix get a plain sentence, not a stack trace. */
function startupFailureMessage(e: unknown): string | undefined {
  if (e instanceof EmbeddedDbUnavailableError) return e.message;
  const err = e as { name?: string; code?: string; message?: string };
  if (err.name === 'MongooseServerSelectionError' || err.name === 'MongoServerSelectionError') {
    return `Cannot reach the database${config().MONGODB_URI ? ' at MONGODB_URI' : ''}: ${err.message}\nCheck that the server runs and the URI is right.`;
  }
  if (e instanceof AppError) return `Start-up failed: ${e.message} (${e.code})`;
  return undefined;
}

main().catch((e) => {
  process.stderr.write(`Fatal: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
