/**
 * The order test files start in. The forks (three, vitest.config.ts) share the machine;
 * a suite that ends on one long file leaves the others idle (seen in a fresh clone: the
 * 34-49 s bench smoke test started last). Vitest orders by the durations of the previous run, which a fresh
 * clone (CI) does not have, and then by file size, which says nothing of a file's time.
 * So the files that took longest in a full run (LONGEST_FIRST, file-groups.ts) start
 * first, in that order; the rest keep Vitest's order. A file missing from the list only
 * starts later, nothing else.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { LONGEST_FIRST } from './file-groups.js';

function rank(spec: TestSpecification): number {
  const i = LONGEST_FIRST.findIndex((name) => spec.moduleId.endsWith(`/tests/${name}.test.ts`));
  return i < 0 ? LONGEST_FIRST.length : i;
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep Vitest's order
  }
}
