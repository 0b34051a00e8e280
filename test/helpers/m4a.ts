import { ArrayBufferTarget, Muxer } from 'mp4-muxer';

/**
 * A real small MPEG-4 audio file (AAC-LC, mono, 44.1 kHz, about one second of silence), muxed by
 * mp4-muxer as a phone would write it: `fragmented` is Safari's MediaRecorder (`audio/mp4`:
 * fragmented MP4, brands iso5 / iso6 / mp41), otherwise a plain file (isom / mp41) like Android's.
 * `brand` rewrites the major brand (iOS voice memos say "M4A "). The AAC frames are the encoder's
 * silent frame, so no encoder is needed; the container is what the platform sniffs.
 */
const SAMPLE_RATE = 44_100;
const FRAME_SAMPLES = 1024;
const SILENT_AAC_FRAME = new Uint8Array([0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]);
// AudioSpecificConfig: AAC-LC (2), 44.1 kHz (index 4), one channel.
const AAC_LC_MONO_44K = new Uint8Array([0x12, 0x08]);

export function m4aFile(opts: { fragmented?: boolean; brand?: string; frames?: number } = {}): Buffer {
  const target = new ArrayBufferTarget();
  const muxer = new Muxer({
    target,
    audio: { codec: 'aac', numberOfChannels: 1, sampleRate: SAMPLE_RATE },
    fastStart: opts.fragmented ? 'fragmented' : 'in-memory',
  });
  const micros = (FRAME_SAMPLES / SAMPLE_RATE) * 1e6;
  for (let n = 0; n < (opts.frames ?? 43); n++) {
    const meta =
      n === 0
        ? {
            decoderConfig: {
              codec: 'mp4a.40.2',
              numberOfChannels: 1,
              sampleRate: SAMPLE_RATE,
              description: AAC_LC_MONO_44K,
            },
          }
        : undefined;
    muxer.addAudioChunkRaw(SILENT_AAC_FRAME, 'key', n * micros, micros, meta);
  }
  muxer.finalize();
  const file = Buffer.from(target.buffer);
  if (opts.brand) file.write(opts.brand.padEnd(4, ' ').slice(0, 4), 8, 'latin1');
  return file;
}
