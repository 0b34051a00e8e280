import type { Server } from 'node:http';
import type { Express } from 'express';
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
  const cfg = config();
  let server: Server;
  try {
    server = await listen(createApp(), cfg.PORT, cfg.HOST);
  } catch (e) {
    // Nothing else of this process has started yet: no workers run jobs for an app nobody can reach.
    process.stderr.write(`\n${listenFailureMessage(e, cfg.HOST, cfg.PORT)}\n\n`);
    await stopServices().catch(() => undefined);
    process.exit(4);
  }
  const workers = startAppWorkers();
  logger.info({ url: cfg.publicUrl }, `listening on http://${cfg.HOST}:${cfg.PORT}`);
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

/**
 * Express 5 hands a failed listen (port taken, address not on this machine) to the callback instead
 * of throwing; ignoring it would leave a process that logs "listening" while every request reaches
 * whatever holds the port.
 */
function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
  });
}

function listenFailureMessage(e: unknown, host: string, port: number): string {
  const code = (e as { code?: string }).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return `Cannot listen on ${where}: the port is already in use by another program (perhaps another copy of this app).\nStop that program, or start this one on a free port with PORT=<number>.`;
  if (code === 'EACCES')
    return `Cannot listen on ${where}: permission denied (ports below 1024 need privileges).\nUse a port from 1024 up (PORT) and let the proxy in front listen on 80/443.`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return `Cannot listen on ${where}: HOST is not an address of this machine.\nSet HOST to one of its addresses (127.0.0.1 behind a proxy on the same machine, 0.0.0.0 for all).`;
  return `Cannot listen on ${where}: ${(e as Error).message ?? String(e)}`;
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
