import { ConfigError, loadConfig } from '../server/platform/config';

describe('configuration is parsed once and fails fast', () => {
  test('production refuses to start without SESSION_SECRET or with a weak password hash cost', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET: required in production/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PASSWORD_HASH_LOG_N: '12' }),
    ).toThrow(/PASSWORD_HASH_LOG_N/);
    const ok = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) });
    expect(ok.PASSWORD_HASH_LOG_N).toBe(15);
    expect(ok.ADMIN_PASSWORD).toBeUndefined(); // no demo admin outside development
    expect(ok.SECURE_COOKIES).toBe(true);
  });

  test('bad values are listed by name', () => {
    try {
      loadConfig({ PORT: 'eighty', UPLOAD_MAX_BYTES: '-1', REPORT_RENDER_THREADS: 'many', AUTH_CACHE_SECONDS: '-5' });
      throw new Error('should have failed');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(/PORT/);
      expect((e as Error).message).toMatch(/UPLOAD_MAX_BYTES/);
      expect((e as Error).message).toMatch(/REPORT_RENDER_THREADS/);
      expect((e as Error).message).toMatch(/AUTH_CACHE_SECONDS/);
    }
  });

  test('REPORT_RENDER_HEAP_MB is 0 (no cap) or at least 64', () => {
    expect(loadConfig({ REPORT_RENDER_HEAP_MB: '0' }).REPORT_RENDER_HEAP_MB).toBe(0);
    expect(loadConfig({ REPORT_RENDER_HEAP_MB: '256' }).REPORT_RENDER_HEAP_MB).toBe(256);
    expect(() => loadConfig({ REPORT_RENDER_HEAP_MB: '32' })).toThrow(
      /REPORT_RENDER_HEAP_MB must be 0 \(no cap\) or at least 64/,
    );
  });

  test('development gets the documented demo admin', () => {
    const dev = loadConfig({});
    expect(dev.ADMIN_EMAIL).toBe('admin@demo.local');
    expect(dev.ADMIN_PASSWORD).toBe('Admin-demo-2026');
  });
});

describe('error mapping', () => {
  test('a locked embedded database is a retryable 503, not a 500', async () => {
    const { toAppError } = await import('../server/platform/http/error-handler');
    const err = Object.assign(new Error('sqlite: step: database is locked (5) (SQLITE_BUSY)'), {
      name: 'MongoServerError',
      code: 1,
    });
    const mapped = toAppError(err);
    expect(mapped.status).toBe(503);
    expect(mapped.code).toBe('database_busy');
    expect(toAppError(new Error('something else')).status).toBe(500);
  });
});
