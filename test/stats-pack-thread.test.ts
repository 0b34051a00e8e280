import { packerFor, inProcessPacker } from '../server/stats/pack-thread';
import { packJson, packValue, unpackValue } from '../server/stats/packing';

/**
 * The rebuild's packing thread (server/stats/pack-thread.ts): what it packs is what packJson packs,
 * in the order asked, and a thread that ends leaves nothing unpacked (the rest is packed in process).
 */
jest.setTimeout(60_000);

const texts = (n: number, salt: string) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      i,
      salt,
      pad: 'x'.repeat(i % 3 === 0 ? 10 : 900 + i),
      nested: { list: [i, i + 1, `${salt}${i}`] },
    }),
  );

test('a small quarter packs in process, a large one on a thread', async () => {
  expect(packerFor(10)).toBe(inProcessPacker);
  const packer = packerFor(10, 1);
  try {
    expect(packer).not.toBe(inProcessPacker);
    expect(packer.thread).toBeDefined();
  } finally {
    await packer.close();
  }
});

test('a thread that cannot start: the quarter is packed in process', async () => {
  const packer = packerFor(10, 1, () => {
    throw new Error('no threads left');
  });
  expect(packer).toBe(inProcessPacker);
  expect(await packer.pack(texts(3, 'd'))).toEqual(texts(3, 'd').map(packJson));
});

test('the thread packs every text as packJson does, in order, requests answered in the order asked', async () => {
  const packer = packerFor(1, 1);
  try {
    const asked = [texts(300, 'a'), texts(5, 'b'), [], texts(120, 'c')];
    const answers = await Promise.all(asked.map((t) => packer.pack(t)));
    asked.forEach((t, k) => expect(answers[k]).toEqual(t.map(packJson)));
    // Both kinds occur: plain JSON below the threshold, deflated above.
    expect(answers[0].some((p) => p.startsWith('z:'))).toBe(true);
    expect(answers[0].some((p) => p.startsWith('{'))).toBe(true);
    expect(unpackValue(answers[3][7])).toEqual(JSON.parse(asked[3][7]));
  } finally {
    await packer.close();
  }
});

test('a thread that ends leaves nothing unpacked: what was asked and what follows is packed in process', async () => {
  const packer = packerFor(1, 1);
  const thread = packer.thread;
  if (!thread) throw new Error('expected a thread');
  const before = texts(2_000, 'd');
  const asked = packer.pack(before);
  await thread.terminate(); // ends it while (or before) it works on the request
  expect(await asked).toEqual(before.map(packJson));
  expect(packer.thread).toBeUndefined();
  const after = texts(50, 'e');
  expect(await packer.pack(after)).toEqual(after.map(packJson));
  await packer.close();
});

test('packValue is packJson of the JSON', () => {
  const value = { a: 'y'.repeat(600), b: [1, 2, 3] };
  expect(packValue(value)).toBe(packJson(JSON.stringify(value)));
});
