/**
 * Upload a project ZIP: drag and drop (anywhere on the page) or the file picker.
 * The file goes in binary pieces (`update_chunk`, a few unanswered at once), the
 * SDK's way: the broker holds one copy of it, and an oversized one is refused at
 * its first piece.
 *
 * Progress, honestly: the bar follows the pieces the broker has answered, and turns
 * indeterminate once all are out while the broker unpacks and restarts the worker,
 * which is the part that takes time on a robot.
 */
import type { Ack, ServerToClientEvents, UpdateChunkProgress, UpdateResult } from '#protocol';
import { sendInPieces } from 'robot-control/upload-pieces';
import { $, bytes, duration, h } from './dom.js';
import { whereOf } from './error-view.js';
import type { Link } from './link.js';

/** A piece the broker refused: its answer, carried out of the pieces' loop. */
class Refusal {
  constructor(readonly ack: Ack<never>) {}
}

type Phase = 'idle' | 'reading' | 'sending' | 'unpacking' | 'done' | 'failed';

export class Uploader {
  private readonly zone = $('dropzone');
  private readonly input = $<HTMLInputElement>('zip-input');
  private readonly bar = $('upload-progress');
  private readonly fill = $('upload-bar');
  private readonly status = $('upload-status');
  private busy = false;
  private allowed = true;

  constructor(
    private readonly link: Link<ServerToClientEvents>,
    private readonly onUploaded: (result: UpdateResult) => void,
  ) {
    this.input.addEventListener('change', () => {
      const file = this.input.files?.[0];
      this.input.value = ''; // picking the same file again must fire `change` again
      if (file) void this.upload(file);
    });
    this.acceptDrops();
  }

  private acceptDrops(): void {
    let depth = 0; // dragenter/dragleave fire for every child crossed
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    window.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      depth++;
      document.body.classList.add('dragging');
    });
    window.addEventListener('dragleave', (e) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) document.body.classList.remove('dragging');
    });
    window.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    });
    window.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      document.body.classList.remove('dragging');
      const file = e.dataTransfer?.files[0];
      if (file) void this.upload(file);
    });
  }

  /** Only the lease holder may upload: an observer's drop is refused here, not by the broker. */
  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
    this.input.disabled = !allowed;
    this.zone.classList.toggle('disabled', !allowed);
    this.zone.title = allowed ? '' : 'You are observing: take control to upload';
  }

  async upload(file: File): Promise<void> {
    if (this.busy) return;
    if (!this.allowed) {
      this.show('failed', `You are observing: take control to upload ${file.name}.`);
      return;
    }
    if (!this.link.connected) {
      this.show('failed', `Not connected: ${file.name} was not sent.`);
      return;
    }
    this.busy = true;
    this.zone.classList.add('working');
    const size = file.size;
    try {
      this.show('reading', `Reading ${file.name} (${bytes(size)})…`);
      const data = await file.arrayBuffer();
      this.show('sending', `Sending ${bytes(size)}…`, 0);
      const started = performance.now();
      const ack = await this.send(new Uint8Array(data));
      const ms = performance.now() - started;
      if (ack.status === 'success') {
        const r = ack.data;
        this.show('done', '', 1);
        this.status.replaceChildren(
          h('span', { class: 'ok-mark', text: '✓' }),
          ' ',
          h('strong', { text: file.name }),
          ` uploaded: ${r.type} project, entry `,
          h('code', { text: r.entry }),
          `, ${r.files} file${r.files === 1 ? '' : 's'}, ${bytes(r.bytes)} (${duration(ms)}).`,
        );
        this.onUploaded(r);
      } else {
        this.show('failed', '');
        const where = whereOf(ack.data);
        this.status.replaceChildren(
          h('span', { class: 'err-mark', text: '✗' }),
          ' ',
          h('code', { class: 'code', text: ack.data.code }),
          ' ',
          ...(where ? [h('mark', { class: 'loc here', text: where }), ' '] : []),
          where && ack.message.startsWith(`${where}: `) ? ack.message.slice(where.length + 2) : ack.message,
          ` (${file.name}; the previous project is still in place)`,
        );
      }
    } catch (err) {
      const message = (err as Error).message;
      this.show('failed', `✗ ${file.name}: ${message}; the previous project is still in place.`);
    } finally {
      this.busy = false;
      this.zone.classList.remove('working');
    }
  }

  /** The ZIP in pieces; the answer of the last piece (the update's), or the first refusal. */
  private async send(zip: Uint8Array): Promise<Ack<UpdateResult>> {
    const size = zip.byteLength;
    if (size === 0) return (await this.link.call('update', { data: zip })).ack;
    try {
      const last = await sendInPieces(
        zip,
        async (piece) => {
          const answer = this.link.call('update_chunk', piece);
          if (piece.offset + (piece.data as Uint8Array).byteLength === size) this.track(size, size); // the last is out
          const { ack } = await answer;
          if (ack.status === 'success') return ack as Ack<UpdateChunkProgress | UpdateResult>;
          throw new Refusal(ack);
        },
        { onProgress: (received) => this.track(received, size) },
      );
      return last as Ack<UpdateResult>;
    } catch (err) {
      if (err instanceof Refusal) return err.ack;
      throw err;
    }
  }

  /** Move the bar as pieces are answered; once the last is sent, the broker is unpacking. */
  private track(received: number, size: number): void {
    if (received >= size) this.show('unpacking', `Sent ${bytes(size)}. The broker is unpacking it and restarting the worker…`, null);
    else if (this.bar.dataset.phase === 'sending') this.show('sending', `Sending ${bytes(received)} of ${bytes(size)}…`, received / size);
  }

  /** `fraction` null: indeterminate. */
  private show(phase: Phase, text: string, fraction: number | null = null): void {
    this.bar.dataset.phase = phase;
    this.bar.hidden = phase === 'idle';
    this.bar.classList.toggle('indeterminate', fraction === null && (phase === 'sending' || phase === 'unpacking' || phase === 'reading'));
    this.fill.style.width = fraction === null ? '' : `${Math.round(Math.min(1, fraction) * 100)}%`;
    this.bar.setAttribute('aria-valuenow', fraction === null ? '' : String(Math.round(fraction * 100)));
    this.status.dataset.phase = phase;
    if (text) this.status.textContent = text;
  }
}
