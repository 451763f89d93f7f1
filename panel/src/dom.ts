/** Small DOM and formatting helpers: the panel's whole "framework". */

/** The element with this id; a missing one is a bug in index.html, so it throws. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  type?: string;
  data?: Record<string, string>;
  onclick?: (ev: MouseEvent) => void;
}

/** Create an element. Text goes in as text, never as HTML: robot data is untrusted. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  if (props.type) el.setAttribute('type', props.type);
  if (props.data) Object.assign(el.dataset, props.data);
  if (props.onclick) (el as HTMLElement).addEventListener('click', props.onclick);
  el.append(...children);
  return el;
}

/**
 * Coalesce many calls into one `fn()` on the next animation frame. Events arrive
 * far faster than the screen refreshes; each module renders once per frame at most.
 */
export function perFrame(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 14:03:07.250 */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** 1.2 MB, 340 KB, 12 B */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** 0.8 ms, 12 ms, 1.35 s */
export function duration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** 12,345 */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** One line of JSON, cut at `max` characters. */
export function jsonLine(value: unknown, max = 240): string {
  let text: string;
  try {
    text = value === undefined ? '' : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Indented JSON for a result pane, cut at `max` characters. */
export function jsonBlock(value: unknown, max = 20_000): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}\n… (${count(text.length - max)} more characters)` : text;
}

/** Read and write JSON in web storage without letting a full or disabled store break the panel. */
export const stored = {
  get<T>(store: Storage, key: string, fallback: T): T {
    try {
      const raw = store.getItem(key);
      return raw === null ? fallback : (JSON.parse(raw) as T);
    } catch {
      return fallback;
    }
  },
  set(store: Storage, key: string, value: unknown): void {
    try {
      store.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or disabled (private mode): the panel works, it just forgets.
    }
  },
};
