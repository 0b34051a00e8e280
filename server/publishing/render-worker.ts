import { parentPort, workerData } from 'node:worker_threads';
import { reportFont } from '../../reports/fonts';
import type { ReportSnapshot } from '../../reports/types';
import { renderPacked, type PackedTask } from './render-task';

/**
 * A render thread of the quarter close (see render-pool.ts): gets the snapshot's shared part once
 * (render-task.ts), then renders
 * one PDF per message and hands the bytes back without copying them.
 */
export interface TaskMessage {
  id: number;
  task: PackedTask;
  /** Reply with the characters the report drew (the pool learns a font lead from the first ones). */
  learn?: boolean;
}

export type ReplyMessage =
  { ready: true } | { id: number; pdf: Uint8Array; drawn?: string } | { id: number; error: string };

const port = parentPort;
if (port) {
  const snapshot = (workerData as { snapshot: ReportSnapshot }).snapshot;
  reportFont(); // parsed before the first task, so that a missing font fails the start, not a report
  port.on('message', (m: TaskMessage) => {
    let drawn: string | undefined;
    renderPacked(snapshot, m.task, m.learn ? (chars) => (drawn = chars) : undefined).then(
      (pdf) => {
        // Small Buffers share a pooled ArrayBuffer, which must not be handed away.
        const whole =
          pdf.buffer instanceof ArrayBuffer && pdf.byteOffset === 0 && pdf.byteLength === pdf.buffer.byteLength;
        const bytes = whole ? pdf.buffer : new Uint8Array(pdf).buffer;
        port.postMessage({ id: m.id, pdf: new Uint8Array(bytes), drawn } satisfies ReplyMessage, [bytes]);
      },
      (e: unknown) =>
        port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies ReplyMessage),
    );
  });
  port.postMessage({ ready: true } satisfies ReplyMessage);
}
