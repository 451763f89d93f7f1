/**
 * Who this tab is: the access token (from the banner URL, kept for the session
 * and wiped from the address bar), the per-tab client id, and the mode.
 */

const TOKEN_KEY = 'robot-control.token';
const CLIENT_KEY = 'robot-control.clientId';

/**
 * Take `?token=` from the address bar into sessionStorage and remove it from the
 * URL (history, bookmarks and over-the-shoulder screenshots never show it).
 * Returns the token to use: the URL's, else the one kept for this session.
 */
export function takeToken(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    if (fromUrl) saveToken(fromUrl);
  }
  return storedToken();
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // No storage: the token lives as long as the page.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing kept
  }
}

/** What the operator pasted: a bare token, or the whole banner URL with `?token=`. */
export function parseTokenInput(text: string): string {
  const trimmed = text.trim();
  try {
    const fromUrl = new URL(trimmed).searchParams.get('token');
    if (fromUrl) return fromUrl;
  } catch {
    // not a URL: a bare token
  }
  return trimmed;
}

/** `?watch=1`: read-only mode on the /monitor namespace. */
export function isWatchMode(): boolean {
  const v = new URLSearchParams(location.search).get('watch');
  return v !== null && v !== '0' && v !== 'false';
}

/** The same page in the other mode (the token stays in sessionStorage). */
export function otherModeHref(): string {
  const url = new URL(location.href);
  if (isWatchMode()) url.searchParams.delete('watch');
  else url.searchParams.set('watch', '1');
  return url.pathname + url.search + url.hash;
}

function randomId(): string {
  // crypto.randomUUID needs a secure context; a robot on http://192.168.x.y is not one.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * This tab's client id, kept in sessionStorage so that a reload reconnects as the
 * same client and replaces its own stale connection instead of being told "busy".
 *
 * A duplicated tab inherits sessionStorage, and two live tabs with one id would evict
 * each other in turn: so a tab that finds an id asks the other tabs (BroadcastChannel)
 * whether one of them is using it, and takes a fresh id if so.
 */
export async function claimClientId(): Promise<string> {
  let id: string | null = null;
  try {
    id = sessionStorage.getItem(CLIENT_KEY);
  } catch {
    // no storage: a fresh id per page load
  }
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('robot-control.tabs') : null;
  if (id && channel) {
    const asked = id;
    const taken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 150);
      channel.onmessage = (e: MessageEvent<{ type?: string; id?: string }>) => {
        if (e.data?.type === 'mine' && e.data.id === asked) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      channel.postMessage({ type: 'who', id: asked });
    });
    if (taken) id = null;
  }
  if (!id) {
    id = randomId();
    try {
      sessionStorage.setItem(CLIENT_KEY, id);
    } catch {
      // see above
    }
  }
  const mine = id;
  if (channel) {
    channel.onmessage = (e: MessageEvent<{ type?: string; id?: string }>) => {
      if (e.data?.type === 'who' && e.data.id === mine) channel.postMessage({ type: 'mine', id: mine });
    };
  }
  return mine;
}
