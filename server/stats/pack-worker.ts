import { parentPort } from 'node:worker_threads';
import { packJson } from './packing';

/** A packing thread (see ./pack-thread.ts): packs each message's JSON texts and sends them back in order. */
export interface PackRequest {
  id: number;
  jsons: string[];
}

export type PackReply = { id: number; packed: string[] } | { id: number; error: string };

const port = parentPort;
port?.on('message', ({ id, jsons }: PackRequest) => {
  let reply: PackReply;
  try {
    reply = { id, packed: jsons.map(packJson) };
  } catch (e) {
    reply = { id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
