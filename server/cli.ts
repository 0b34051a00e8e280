import { config } from './core/config';

const USAGE = `Usage: node dist/server/cli.js <command>

Commands:
  seed [--if-empty]   load the demo data (with --if-empty: only into an empty database)
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
        const out = await seedDemo({ ifEmpty: rest.includes('--if-empty') });
        process.stdout.write(`${out}\n`);
      } finally {
        await stopServices();
      }
      return 0;
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
