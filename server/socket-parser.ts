/**
 * Socket.IO's packet parser, with one change: JSON nested past the payload depth
 * limit is pruned before JSON.parse sees it (payload-shape.ts, pruneDeepJson).
 * Without it, a packet of a few MB of `[` held the event loop for seconds in
 * JSON.parse, before any check of ours could run; a CONNECT packet's `auth` is
 * parsed the same way, so this held before authentication too. Pass the result as
 * the `parser` option of the Socket.IO server.
 */
import { createRequire } from 'node:module';
import { pruneDeepJson } from './payload-shape.js';

type ParserModule = typeof import('socket.io-parser');

/** socket.io's own copy of socket.io-parser: the one it would use without this option. */
function socketIoParser(): ParserModule {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve('socket.io'))('socket.io-parser') as ParserModule;
}

/** A parser whose Decoder prunes JSON nested deeper than `maxDepth` payload levels. */
export function depthLimitedParser(maxDepth: number): ParserModule {
  const parser = socketIoParser();
  type Parse = (this: unknown, text: string) => unknown;
  const base = (parser.Decoder.prototype as unknown as { tryParse?: Parse }).tryParse;
  // tryParse is socket.io-parser's own (undocumented) step from text to JSON: fail loudly if it goes.
  if (typeof base !== 'function') throw new Error('socket.io-parser has no Decoder.prototype.tryParse any more: server/socket-parser.ts needs updating');
  class Decoder extends parser.Decoder {}
  // The packet's own array (`["event", payload]`) is one level above the payload.
  (Decoder.prototype as unknown as { tryParse: Parse }).tryParse = function tryParse(text) {
    return base.call(this, pruneDeepJson(text, maxDepth + 1));
  };
  return { ...parser, Decoder };
}
