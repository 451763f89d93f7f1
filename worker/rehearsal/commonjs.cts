/**
 * The rehearsal project again, as CommonJS: the format of most projects (a main.js with
 * no "type": "module", the default project's and the bench's). The first CommonJS module a
 * process imports pays for Node's CommonJS-in-ES-modules path (its export scanner; 4.8-8.4
 * ms for a one-line module in a fresh process here, ~1-1.5 ms for the next). The worker
 * takes that path for nothing else (its packages are required, ipc/cjs.ts), so without this
 * the first real load would pay it.
 */
export const rehearsal = {
  /**
   * Subtract one number from another.
   * @param a the first
   * @param b the second
   */
  sub(a: number, b: number): number {
    return a - b;
  },
};
