/**
 * An entry that fails while it is written leaves nothing on its way: when inflateData
 * rejects, its file is closed (server/storage/unpack.ts). Before, the pipeline's error came
 * back while the file's open was still pending, and the file appeared afterwards: in a
 * folder already removed and made again (found by `npm run fuzz`, unpack-ahead).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { inflateData } from '../../dist/server/storage/inflate.js';
import { METHOD_DEFLATED } from '../../dist/server/storage/zip-format.js';
import { tempDir } from '../helpers/broker.js';

it('a corrupt entry: inflateData rejects only once its file is closed', async () => {
  const dir = tempDir('rc-inflate-');
  for (let i = 0; i < 20; i++) {
    const path = join(dir, `f${i}.txt`);
    const sink = createWriteStream(path, { flags: 'wx' });
    // Not deflate data: the inflater fails on its first bytes, before the file is open.
    const source = Readable.from([Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    await expect(inflateData(source, { entryName: `f${i}.txt`, header: { method: METHOD_DEFLATED, size: 100 } }, sink)).rejects.toMatchObject({ code: 'E_INVALID_ZIP' });
    expect(sink.closed, `f${i}.txt: closed when the error came back`).toBe(true);
    expect(existsSync(path)).toBe(true); // opened ('wx' created it) and closed: nothing more will happen to it
  }
});
