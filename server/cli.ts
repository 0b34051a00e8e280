import { config } from './platform/config';

const USAGE = `Usage: node dist/server/cli.js <command>

Commands:
  seed [--if-empty] [--allow-production]
                      load the demo data (with --if-empty: only into an empty database); refused when
                      NODE_ENV=production (the demo passwords are published) unless --allow-production
  close-quarter <bankCode> <quarter>   close a quarter: render the PDF reports and e-mail them (waits, progress on stderr)
  resend-report <reportId>             send a report's e-mails again to all its recipients
  stats rebuild [bankCode] [quarter]   recompute the kept statistics from the visits
  stats verify [bankCode] [quarter]    compare the kept statistics with the visits, field by field (exit 1 on a difference)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  config();
  const { startServices, stopServices } = await import('./bootstrap');
  switch (command) {
    case 'seed': {
      await startServices();
      try {
        const { seedDemo } = await import('../seed/demo');
        const out = await seedDemo({
          ifEmpty: rest.includes('--if-empty'),
          allowProduction: rest.includes('--allow-production'),
        });
        process.stdout.write(`${out}\n`);
      } catch (e) {
        if ((e as { code?: string }).code !== 'demo_seed_refused') throw e;
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
      } finally {
        await stopServices();
      }
      return 0;
    }
    case 'close-quarter':
    case 'resend-report': {
      await startServices();
      try {
        const r = await import('./publishing/cli');
        const { startAppWorkers } = await import('./jobs');
        const workers = () => startAppWorkers({ pollMs: 250 });
        const io = {
          out: (s: string) => process.stdout.write(s),
          err: (s: string) => process.stderr.write(s),
          tty: Boolean(process.stderr.isTTY),
        };
        return command === 'close-quarter'
          ? await r.closeQuarterCommand(rest[0], rest[1], io, workers)
          : await r.resendReportCommand(rest[0], io, workers);
      } finally {
        await stopServices();
      }
    }
    case 'stats': {
      await startServices();
      try {
        const { statsCommand } = await import('./stats/service');
        return await statsCommand(rest, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
      } finally {
        await stopServices();
      }
    }
    default:
      process.stderr.write(USAGE);
      return command ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  },
);
