/**
 * The Record button (control mode): switches the session's MCAP recording on the broker
 * on and off with the `record` event, and shows whether it is on, the file and its
 * figures. Its state at load comes from `GET /recordings` (recording may already be on:
 * `recording.enabled`, or an earlier tab).
 */
import type { RecordResult, ServerToClientEvents } from '#protocol';
import { $, bytes, count } from './dom.js';
import type { Link } from './link.js';
import { fetchRecordings } from './playback.js';
import type { StatusView } from './status.js';

export class RecordButton {
  private readonly btn = $<HTMLButtonElement>('record-btn');
  private on = false;
  private busy = false;

  constructor(
    private readonly link: Link<ServerToClientEvents>,
    private readonly status: StatusView,
    /** A recording was finished: the playback list has a new file. */
    private readonly onFinished: (file: string | null) => void,
  ) {
    this.btn.addEventListener('click', () => void this.toggle());
    link.socket.on('connect', () => void this.connected(true));
    link.socket.on('disconnect', () => void this.connected(false));
    this.render(null);
    this.btn.disabled = true;
  }

  /** Connected: learn whether the broker is recording (and allow the button). */
  private async connected(ok: boolean): Promise<void> {
    this.btn.disabled = !ok;
    if (!ok) return;
    try {
      const list = await fetchRecordings();
      this.on = list.recording.active;
      this.render(null);
    } catch {
      // The list is a nicety here: the button still works.
    }
  }

  private async toggle(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.btn.disabled = true;
    try {
      const { ack } = await this.link.call('record', { on: !this.on });
      if (ack.status === 'success') {
        this.on = ack.data.on;
        this.render(ack.data);
        if (!ack.data.on) {
          this.status.toast(`Recorded ${count(ack.data.messages)} messages (${bytes(ack.data.bytes)}) to ${ack.data.file}`);
          this.onFinished(ack.data.file);
        }
      } else {
        this.status.toast(`${ack.data.code}: ${ack.message}`, 'err');
      }
    } catch (err) {
      this.status.toast(`Record: ${(err as Error).message}`, 'err');
    } finally {
      this.busy = false;
      this.btn.disabled = !this.link.connected;
    }
  }

  private render(r: RecordResult | null): void {
    this.btn.classList.toggle('recording', this.on);
    this.btn.setAttribute('aria-pressed', String(this.on));
    this.btn.textContent = this.on ? '■ Stop recording' : '● Record';
    this.btn.title = this.on
      ? `Recording the session to MCAP${r?.file ? `: ${r.file}` : ''}. Click to stop and keep the file.`
      : 'Record every command, answer and pushed event of this session to an MCAP file on the broker';
    this.btn.dataset.state = this.on ? 'on' : 'off';
  }
}
