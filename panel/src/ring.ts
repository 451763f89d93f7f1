/** A fixed-size buffer that keeps the newest `size` items: O(1) push, no shifting. */
export class Ring<T> {
  private readonly items: Array<T | undefined>;
  private head = 0;
  private length = 0;

  constructor(readonly size: number) {
    this.items = new Array<T | undefined>(size);
  }

  push(item: T): void {
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.size;
    this.length = Math.min(this.length + 1, this.size);
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  /** The newest `max` items that pass `keep`, oldest first. */
  newest(max: number, keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.length && out.length < max; i++) {
      const item = this.items[(this.head - i + this.size) % this.size] as T;
      if (keep(item)) out.push(item);
    }
    return out.reverse();
  }
}
