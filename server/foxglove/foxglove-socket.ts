/**
 * One Foxglove client's WebSocket as FoxgloveServer sees it, with the backpressure the
 * library does not have: while more than `limit` bytes wait to go out to this client,
 * its message data is dropped (counted, and the client told by a status message at most
 * once a second) instead of queued without bound. Protocol messages (advertisements,
 * service responses, status) always go.
 */
import type WebSocket from 'ws';
import { BinaryOpcode, type IWebSocket } from './foxglove-server.js';

/** Bytes waiting for one client past which its message data is dropped (8 MiB). */
export const CLIENT_BUFFER_LIMIT = 8 * 1024 * 1024;

/** Who is on the other end, for the control policy and the logs. */
export interface FoxgloveClientInfo {
  /** `foxglove:<address>:<port>`, unique while connected. */
  id: string;
  address: string;
}

export class FoxgloveSocket implements IWebSocket {
  dropped = 0;
  private droppedSinceNotice = 0;
  private noticeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly client: FoxgloveClientInfo,
    private readonly limit: number,
    /** Tell the client `count` messages were dropped since the last notice. */
    private readonly notice: (socket: FoxgloveSocket, count: number) => void,
  ) {
    ws.on('close', () => clearTimeout(this.noticeTimer));
  }

  get binaryType(): string {
    return this.ws.binaryType;
  }
  set binaryType(type: string) {
    this.ws.binaryType = type as WebSocket['binaryType'];
  }
  get protocol(): string {
    return this.ws.protocol;
  }
  get onerror(): IWebSocket['onerror'] {
    return this.ws.onerror as IWebSocket['onerror'];
  }
  set onerror(fn: IWebSocket['onerror']) {
    this.ws.onerror = fn ?? null;
  }
  get onopen(): IWebSocket['onopen'] {
    return this.ws.onopen as IWebSocket['onopen'];
  }
  set onopen(fn: IWebSocket['onopen']) {
    this.ws.onopen = fn ?? null;
  }
  get onclose(): IWebSocket['onclose'] {
    return this.ws.onclose as IWebSocket['onclose'];
  }
  set onclose(fn: IWebSocket['onclose']) {
    this.ws.onclose = fn ?? null;
  }
  get onmessage(): IWebSocket['onmessage'] {
    return this.ws.onmessage as IWebSocket['onmessage'];
  }
  set onmessage(fn: IWebSocket['onmessage']) {
    this.ws.onmessage = fn ?? null;
  }

  close(): void {
    this.ws.close();
  }

  /**
   * One parameter on purpose: FoxgloveServer then sends a message's header and payload
   * as one buffer (with two it sends fragments, which cannot be dropped as a unit).
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limit && isMessageData(data)) {
      this.dropped++;
      this.droppedSinceNotice++;
      this.noticeTimer ??= setTimeout(() => {
        this.noticeTimer = undefined;
        const n = this.droppedSinceNotice;
        this.droppedSinceNotice = 0;
        if (n > 0) this.notice(this, n);
      }, 1000);
      return;
    }
    this.ws.send(data);
  }
}

function isMessageData(data: string | ArrayBuffer | ArrayBufferView): boolean {
  if (typeof data === 'string' || data.byteLength === 0) return false;
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, 1) : new Uint8Array(data, 0, 1);
  return bytes[0] === BinaryOpcode.MESSAGE_DATA;
}
