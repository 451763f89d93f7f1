/**
 * A project of the broker's own that an idle spare loads once and forgets
 * (`Worker.rehearse`), so that the first real load runs on code V8 has compiled: the
 * loader and the method reader. It does nothing when loaded.
 */
export const rehearsal = {
  /**
   * Add two numbers.
   * @param a the first
   * @param b the second
   */
  add(a: number, b: number): number {
    return a + b;
  },
  async wait(ms = 0): Promise<number> {
    return ms;
  },
};
