/**
 * The signature reader reads whatever a project ships: it must never throw, never
 * hang, and never invent a parameter that is not in the text. Arbitrary text and
 * code-shaped text built from JavaScript's own punctuation and words.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocComment } from '../../dist/worker/method-info/jsdoc.js';
import { paramsOfFunctionText } from '../../dist/worker/method-info/params.js';
import { indexSource, typeMembers } from '../../dist/worker/method-info/source-index.js';
import { fuzzParams } from '../helpers/fuzz.js';

const PIECES = ['class', 'A', '{', '}', '(', ')', '[', ']', '<', '>', '=', '=>', ',', ';', ':', '?', '...', 'async', 'static', 'get', 'function',
  'interface', 'type', '&', '|', '/', '/**', '*/', '*', '//', '\n', ' ', "'", '"', '`', '${', '\\', 'x', 'vx', '0', '1.5', 'return', '@param', '{number}', '[a=1]', 'exports.r'];
const codeLike = fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }).map((a) => a.join(' '));
const text = fc.oneof(fc.string({ maxLength: 300 }), codeLike);

describe('the signature reader on hostile text', { timeout: 60_000 }, () => {
  it('indexSource, typeMembers, paramsOfFunctionText and parseDocComment never throw', () => {
    fc.assert(
      fc.property(text, (src) => {
        const index = indexSource(src);
        for (const m of index.methods) {
          // Every name it reports is in the text.
          expect(src.includes(m.name)).toBe(true);
          for (const p of m.params) if (p.name) expect(src.includes(p.name)).toBe(true);
        }
        for (const [name] of index.types) typeMembers(name, index.types);
        paramsOfFunctionText(src);
        parseDocComment(src);
      }),
      { ...fuzzParams(2000), interruptAfterTimeLimit: 20_000 },
    );
  });

  it('reads a large file (vitest\'s timeout bounds it: a quadratic reader would take minutes)', () => {
    const method = '  /** Doc. @param {number} [a=1] x */\n  m{i}({ a = 1, b = "}" } = {}, c = `${1}`) { return /[}]/.test(String(a)) ? b : c; }\n';
    const src = `class Big {\n${Array.from({ length: 5000 }, (_, i) => method.replace('{i}', String(i))).join('')}}\n`;
    const index = indexSource(src);
    expect(index.methods).toHaveLength(5000);
    expect(index.methods[4999]).toMatchObject({ container: 'Big', name: 'm4999' });
  });
});
