import type { Server } from 'node:http';
import { ConfigError, config } from './core/config';
import { EmbeddedDbUnavailableError } from './core/ferretdb';

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
  const { logger } = await import('./core/logger');
  const { startServices, stopServices } = await import('./bootstrap');
  const { createApp } = await import('./app');
  const { startWorkers } = await import('./jobs/worker');
  try {
    await startServices();
  } catch (e) {
    if (e instanceof EmbeddedDbUnavailableError) {
      process.stderr.write(`\n${e.message}\n\n`);
      await stopServices().catch(() => undefined);
      process.exit(3);
    }
    throw e;
  }
  const workers = startWorkers();
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
      workers.stop()
        .then(() => stopServices())
        .then(() => process.exit(0))
        .catch(() => process.exit(1));
    });
    server.closeIdleConnections?.();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`Fatal: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
