/**
 * Read a recording back with @mcap/core's McapIndexedReader directly (not the broker's
 * own reader), zstd chunks decompressed with @foxglove/wasm-zstd.
 */
import { readFileSync } from 'node:fs';
import zstd from '@foxglove/wasm-zstd';
import { McapIndexedReader } from '@mcap/core';

export interface ReadBack {
  reader: McapIndexedReader;
  messages: Array<{ topic: string; source: string | undefined; logTime: bigint; publishTime: bigint; sequence: number; data: unknown }>;
  metadata: Array<{ name: string; values: Record<string, string> }>;
}

export async function readMcap(path: string): Promise<ReadBack> {
  await zstd.isLoaded;
  const bytes = readFileSync(path);
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(bytes.byteLength),
      read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
    },
    decompressHandlers: { zstd: (buffer, size) => zstd.decompress(buffer, Number(size)) },
  });
  const messages: ReadBack['messages'] = [];
  const decoder = new TextDecoder();
  for await (const m of reader.readMessages()) {
    const channel = reader.channelsById.get(m.channelId)!;
    messages.push({
      topic: channel.topic,
      source: channel.metadata.get('source'),
      logTime: m.logTime,
      publishTime: m.publishTime,
      sequence: m.sequence,
      data: JSON.parse(decoder.decode(m.data)),
    });
  }
  const metadata: ReadBack['metadata'] = [];
  for await (const m of reader.readMetadata()) metadata.push({ name: m.name, values: Object.fromEntries(m.metadata) });
  return { reader, messages, metadata };
}

/** A broker timestamp (ms) as the file stores it (ns). */
export const ns = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;
