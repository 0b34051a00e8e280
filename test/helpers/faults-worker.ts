/**
 * A background worker as its own process, for the fault suite: the same startWorkers the app runs,
 * on the database and SMTP server given in the environment, with the short leases and retry delays
 * given in FAULT_WORKER_OPTIONS (JSON), so that a worker killed with -9 is taken over within seconds
 * instead of the production minutes. Prints READY once it polls.
 */
async function main(): Promise<void> {
  const { connectDb } = await import('../../server/platform/db/connection');
  await import('../../server/models');
  await connectDb();
  const { startAppWorkers } = await import('../../server/jobs');
  startAppWorkers(JSON.parse(process.env.FAULT_WORKER_OPTIONS ?? '{}'));
  process.stdout.write('READY\n');
}

main().catch((e) => {
  process.stderr.write(`worker failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
