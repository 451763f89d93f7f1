/** `robot-control pack DIR [-o OUT.zip]`: the seed's `zip -r`, after checking the entry module. */
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ENTRY_MODULES, packProject, SKIPPED_DIRS } from '../client/pack.js';
import { EXIT, type Command } from './command.js';
import { parse, UsageError } from './options.js';
import { out } from './output.js';

export const pack: Command = {
  name: 'pack',
  summary: 'zip a project folder, checking it has an entry module',
  help: `Usage: robot-control pack DIR [-o OUT.zip]

Zips DIR's contents (at the ZIP root) into OUT.zip, default ./<folder name>.zip.
DIR must hold an entry module: ${ENTRY_MODULES.join(', ')}.
Skipped: ${[...SKIPPED_DIRS].join(', ')}, symlinked folders, and OUT.zip itself.`,
  async run(argv) {
    const { values, positionals } = parse(argv, { output: { type: 'string', short: 'o' } });
    if (positionals.length !== 1) throw new UsageError(`pack takes one folder, got ${positionals.length} arguments`);
    const dir = resolve(positionals[0]!);
    const output = resolve(values.output ?? `${basename(dir) || 'project'}.zip`);
    const packed = packProject(dir, { exclude: [output] });
    writeFileSync(output, packed.zip);
    out(`packed ${output}: ${packed.files.length} files, entry ${packed.entry}, ${packed.bytes} bytes (${packed.zip.length} zipped)`);
    return EXIT.ok;
  },
};
