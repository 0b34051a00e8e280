import { Worker } from 'node:worker_threads';
import { logger } from '../platform/logger';
import { threadSource } from '../platform/threads';
import type { PackReply, PackRequest } from './pack-worker';
import { packJson } from './packing';

/**
 * Packing (./packing.ts) a rebuild's records, deflating them on a thread of its own for a large
 * quarter: writing a first build of the large bank (25,000 branches) cost this process ~5 s, a fifth
 * of it deflating the branch records; on the thread that runs beside the summing up and the writes.
 * (Turning the entries into JSON stays here, where they are: copied to a thread as objects they cost
 * more than their JSON. Sending each entry's JSON to the thread while the visits stream slowed the
 * stream by more than it saved, measured before the read's wait on each batch was found:
 * platform/db/read-ahead.ts.) A small quarter stays in process, where a thread would not pay for
 * its start. A thread that cannot start, fails or ends leaves nothing unpacked: what it was asked,
 * and everything after, is packed in process.
 */
export interface Packer {
  /** packJson of each text, in order. */
  pack(jsons: string[]): Promise<string[]>;
  close(): Promise<void>;
  /** The thread while it runs (none in process): for the tests. */
  readonly thread?: Worker;
}

/** From this many records the deflating moves to a thread. */
export const THREAD_FROM = 5_000;
/** The thread holds only the texts it is asked to pack (a few MB at a time). */
const HEAP_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/** `startThread` is for the tests (a thread that cannot start). */
export function packerFor(records: number, threadFrom = THREAD_FROM, startThread = threadPacker): Packer {
  if (records < threadFrom) return inProcessPacker;
  try {
    return startThread();
  } catch (e) {
    // A thread that cannot start (no memory, no threads left) packs nothing: the rebuild packs in process.
    logger.warn(
      { why: e instanceof Error ? e.message : String(e) },
      'the statistics packing thread did not start: packing in process',
    );
    return inProcessPacker;
  }
}

export const inProcessPacker: Packer = { pack: async (jsons) => jsons.map(packJson), close: async () => undefined };

interface Pending {
  jsons: string[];
  resolve(packed: string[]): void;
  reject(e: Error): void;
}

function threadPacker(): Packer {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  const settleInProcess = (p: Pending) => inProcessPacker.pack(p.jsons).then(p.resolve, p.reject);
  const stop = async (why: string | null) => {
    const w = worker;
    worker = null;
    if (why) logger.warn({ why }, 'the statistics packing thread stopped: packing in process');
    for (const p of pending.values()) void settleInProcess(p);
    pending.clear();
    if (w) await w.terminate();
  };
  const { code, data } = threadSource(__dirname, 'pack-worker');
  let worker: Worker | null = new Worker(code, {
    eval: true,
    execArgv: [],
    resourceLimits: HEAP_LIMITS,
    workerData: data,
  });
  const w = worker;
  w.on('message', (m: PackReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve(m.packed);
  });
  w.on('error', (e) => worker === w && void stop(e.message));
  w.on('exit', (exitCode) => worker === w && void stop(`exit code ${exitCode}`));
  return {
    pack: (jsons) =>
      new Promise<string[]>((resolve, reject) => {
        const p: Pending = { jsons, resolve, reject };
        if (!worker) return void settleInProcess(p);
        const id = nextId++;
        pending.set(id, p);
        worker.postMessage({ id, jsons } satisfies PackRequest);
      }),
    close: () => stop(null),
    get thread() {
      return worker ?? undefined;
    },
  };
}
