/**
 * Watch mode's traffic table: every command the controlling client sends, matched
 * with its ack by request id (status, round-trip time), newest on top; and who
 * holds the robot right now.
 */
import type { MonitorAck, MonitorClient, MonitorCommand } from '#protocol';
import { $, bytes, clock, duration, h, jsonLine } from './dom.js';

const ROWS = 200;

export class Traffic {
  private readonly list = $('traffic-list');
  private readonly empty = $('traffic-empty');
  private readonly controller = $('controller-info');
  private readonly rows = new Map<number, HTMLElement>();

  command(c: MonitorCommand): void {
    // Arrival time, like the events log: the robot's clock may be far from this one.
    this.insert(c.reqId, Date.now(), c.command, target(c));
  }

  ack(a: MonitorAck): void {
    const row = this.rows.get(a.reqId) ?? this.insert(a.reqId, Date.now() - a.ms, a.command, a.object ? `${a.object}.${a.method}` : '');
    const ok = a.status === 'success';
    const code = ok ? '' : String((a.data as { code?: unknown } | null)?.code ?? 'error');
    const status = row.querySelector('.t-status')!;
    status.className = `t-status badge ${ok ? 'tone-ok' : 'tone-err'}`;
    status.textContent = ok ? '✓' : code;
    (status as HTMLElement).title = ok ? jsonLine(a.data, 300) : a.message;
    row.querySelector('.t-ms')!.textContent = duration(a.ms);
    row.querySelector('.t-result')!.textContent = ok ? jsonLine(a.data, 160) : a.message;
    row.dataset.status = a.status;
  }

  client(c: MonitorClient): void {
    if (c.state === 'connected') {
      this.controller.className = 'controller tone-ok';
      this.controller.textContent = `Controlled from ${c.address} since ${clock(c.at).slice(0, 8)}`;
    } else if (c.state === 'disconnected') {
      this.controller.className = 'controller tone-wait';
      this.controller.textContent = `No controlling client (${c.address} left at ${clock(c.at).slice(0, 8)}${c.reason ? `: ${c.reason}` : ''})`;
    }
    // "refused" goes to the events timeline only: the holder did not change.
  }

  private insert(reqId: number, at: number, command: string, what: string): HTMLElement {
    const row = h(
      'li',
      { class: 'traffic-row', data: { reqId: String(reqId), status: 'pending' } },
      h('time', { text: clock(at) }),
      h('span', { class: 't-id muted', text: `#${reqId}` }),
      h('span', { class: 't-cmd', text: command }),
      h('span', { class: 't-what', text: what }),
      h('span', { class: 't-status badge tone-wait', text: '…' }),
      h('span', { class: 't-ms muted' }),
      h('span', { class: 't-result muted' }),
    );
    this.rows.set(reqId, row);
    this.list.prepend(row);
    this.empty.hidden = true;
    while (this.list.childElementCount > ROWS) {
      const last = this.list.lastElementChild as HTMLElement;
      this.rows.delete(Number(last.dataset.reqId));
      last.remove();
    }
    return row;
  }
}

function target(c: MonitorCommand): string {
  if (c.command === 'process') return `${c.object}.${c.method}(${c.args === undefined ? '' : jsonLine(c.args, 120)})`;
  if (c.command === 'update') return c.bytes === undefined ? 'project ZIP' : `project ZIP, ${bytes(c.bytes)}`;
  return 'load the project';
}
