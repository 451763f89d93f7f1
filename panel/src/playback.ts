/**
 * Play a recording back into the events log and the plot: pick one of the broker's
 * recordings (`GET /recordings`), press Play, choose a speed. Messages come a page at a
 * time (`GET /recordings/messages`, in time order) and are released on the recording's
 * own clock, scaled by the speed: the robot's events as events (tagged "replay") and in
 * the plot (as "replay: <event>", beside the live one), the broker's commands, answers
 * and worker status as timeline notices.
 */
import { $, count, duration, h } from './dom.js';
import { storedToken } from './session.js';
import type { Shared } from './shared.js';

/** What `GET /recordings` answers (the parts the panel reads). */
export interface RecordingList {
  recording: { active: boolean; file: string | null };
  files: Array<{ name: string; bytes: number; modifiedAt: string; active: boolean }>;
}
interface RecordingInfo {
  messages: number;
  startedAt: string | null;
  durationS: number;
}
interface ReplayMessage {
  at: number;
  topic: string;
  source: string;
  data: unknown;
}

/** Messages per page, and how few may be left before the next page is asked for. */
const PAGE = 2000;
const LOW_WATER = 500;
/** Most messages released per tick (a flood at 50x): the log draws once per frame anyway. */
const PER_TICK = 5000;
const TICK_MS = 50;
/** Broker channels shown as timeline notices, not as robot events. */
const BROKER_TOPICS = new Set(['/command', '/ack', 'worker_status', 'robot_log']);

async function getJson<T>(path: string): Promise<T> {
  const token = storedToken();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  const body = (await res.json().catch(() => null)) as (T & { code?: string; message?: string }) | null;
  if (!res.ok || body === null) throw new Error(body?.code ? `${body.code}: ${body.message}` : `HTTP ${res.status}`);
  return body;
}

export function fetchRecordings(): Promise<RecordingList> {
  return getJson<RecordingList>('recordings');
}

type State = 'idle' | 'loading' | 'playing' | 'paused' | 'done';

export class Playback {
  private readonly card = $('replay-card');
  private readonly picker = $<HTMLSelectElement>('replay-file');
  private readonly speedPicker = $<HTMLSelectElement>('replay-speed');
  private readonly playBtn = $<HTMLButtonElement>('replay-play');
  private readonly stopBtn = $<HTMLButtonElement>('replay-stop');
  private readonly progress = $<HTMLProgressElement>('replay-progress');
  private readonly statusLine = $('replay-status');
  private state: State = 'idle';
  private name: string | null = null;
  private info: RecordingInfo | null = null;
  private buffer: ReplayMessage[] = [];
  private next: string | null = null;
  private fetching: Promise<void> | null = null;
  private t0 = 0;
  /** Where playback is, in ms of recording time from the first message. */
  private playhead = 0;
  private lastWall = 0;
  private played = 0;
  private lastReleasedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every load and stop: a page that arrives for an older one is dropped. */
  private generation = 0;

  constructor(
    private readonly env: Shared,
    /** The panel's connection: the list is (re)loaded each time it connects, when the token is known to work. */
    connection: { on(event: 'connect', fn: () => void): unknown },
  ) {
    $('replay-refresh').addEventListener('click', () => void this.refresh());
    this.picker.addEventListener('change', () => this.stop());
    this.playBtn.addEventListener('click', () => void this.playOrPause());
    this.stopBtn.addEventListener('click', () => this.stop());
    this.speedPicker.addEventListener('change', () => this.render());
    connection.on('connect', () => void this.refresh());
    this.render();
  }

  /** Reload the list of recordings (after one was finished: pick it). */
  async refresh(select?: string | null): Promise<void> {
    try {
      const list = await fetchRecordings();
      const keep = select ?? this.picker.value;
      const files = list.files.filter((f) => !f.active);
      this.picker.replaceChildren(
        h('option', { text: files.length ? 'recording…' : 'no recordings yet', data: { name: '' } }),
        ...files.map((f) => h('option', { text: `${f.name.replace(/^robot-control-/, '').replace(/\.mcap$/, '')} · ${sizeOf(f.bytes)}`, title: f.name, data: { name: f.name } })),
      );
      for (const o of this.picker.options) o.value = o.dataset.name ?? '';
      this.picker.value = files.some((f) => f.name === keep) ? keep : '';
      this.render();
    } catch (err) {
      this.say(`Could not list recordings: ${(err as Error).message}`);
    }
  }

  private speed(): number {
    return Number(this.speedPicker.value) || 1;
  }

  private async playOrPause(): Promise<void> {
    if (this.state === 'playing') {
      this.state = 'paused';
      clearTimeout(this.timer);
      this.render();
      return;
    }
    if (this.state === 'paused') {
      this.resume();
      return;
    }
    const name = this.picker.value;
    if (!name) return;
    const generation = ++this.generation;
    this.state = 'loading';
    this.name = name;
    this.render();
    try {
      const info = await getJson<RecordingInfo>(`recordings/info?name=${encodeURIComponent(name)}`);
      const first = await getJson<{ messages: ReplayMessage[]; next: string | null }>(`recordings/messages?name=${encodeURIComponent(name)}&limit=${PAGE}`);
      if (generation !== this.generation) return;
      this.info = info;
      this.buffer = first.messages;
      this.next = first.next;
      this.t0 = first.messages[0]?.at ?? 0;
      this.playhead = 0;
      this.played = 0;
      this.env.log.system('replay', { file: name, messages: info.messages, seconds: info.durationS, speed: this.speed() });
      this.resume();
    } catch (err) {
      if (generation !== this.generation) return;
      this.state = 'idle';
      this.say(`Could not play ${name}: ${(err as Error).message}`);
      this.render(false);
    }
  }

  private resume(): void {
    this.state = 'playing';
    this.lastWall = performance.now();
    this.render();
    this.tick();
  }

  private stop(): void {
    this.generation++;
    clearTimeout(this.timer);
    const wasPlaying = this.state === 'playing' || this.state === 'paused';
    this.state = 'idle';
    this.buffer = [];
    this.next = null;
    this.info = null;
    if (wasPlaying) this.env.log.system('replay stopped', { file: this.name, played: this.played });
    this.render();
  }

  private readonly tick = (): void => {
    if (this.state !== 'playing') return;
    const now = performance.now();
    const target = this.playhead + (now - this.lastWall) * this.speed();
    this.lastWall = now;
    let released = 0;
    while (this.buffer.length > 0 && released < PER_TICK && this.buffer[0]!.at - this.t0 <= target) {
      this.release(this.buffer.shift()!);
      released++;
    }
    // Waiting for the next page: the clock waits too (no burst when it lands).
    const waiting = this.buffer.length === 0 && this.next !== null;
    if (waiting || released === PER_TICK) this.playhead = Math.max(this.playhead, Math.min(target, this.lastReleasedAt - this.t0));
    else this.playhead = target;
    if (this.buffer.length < LOW_WATER && this.next !== null && !this.fetching) this.fetchMore();
    if (this.buffer.length === 0 && this.next === null && !this.fetching) {
      this.state = 'done';
      this.env.log.system('replay done', { file: this.name, played: this.played });
      this.render();
      return;
    }
    this.render();
    this.timer = setTimeout(this.tick, TICK_MS);
  };

  private release(m: ReplayMessage): void {
    this.played++;
    this.lastReleasedAt = m.at;
    if (m.source === 'robot' && !BROKER_TOPICS.has(m.topic)) {
      // The original time in the log; the plot draws it now, on its live axis, apart from the live stream.
      this.env.log.add(m.topic, m.data, 'replay', m.at);
      this.env.plot.add(`replay: ${m.topic}`, m.data);
    } else {
      this.env.log.system(`${m.topic} (replay)`, m.data, m.at);
    }
  }

  private fetchMore(): void {
    const generation = this.generation;
    const name = this.name!;
    const cursor = this.next!;
    this.fetching = getJson<{ messages: ReplayMessage[]; next: string | null }>(
      `recordings/messages?name=${encodeURIComponent(name)}&limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`,
    )
      .then((page) => {
        if (generation !== this.generation) return;
        this.buffer.push(...page.messages);
        this.next = page.next;
      })
      .catch((err: unknown) => {
        if (generation !== this.generation) return;
        this.next = null; // play what we have, then stop
        this.say(`Playback cut short: ${(err as Error).message}`);
      })
      .finally(() => {
        if (generation === this.generation) this.fetching = null;
      });
  }

  private render(enabled = true): void {
    const s = this.state;
    this.card.dataset.state = s;
    this.card.dataset.played = String(this.played);
    this.playBtn.disabled = !enabled || (s === 'idle' && !this.picker.value) || s === 'loading';
    this.playBtn.textContent = s === 'playing' ? '❚❚ Pause' : s === 'paused' ? '▶ Resume' : '▶ Play';
    this.stopBtn.disabled = s === 'idle' || s === 'loading';
    const total = this.info?.durationS ?? 0;
    const at = Math.min(total, this.playhead / 1000);
    this.progress.max = Math.max(total, 0.001);
    this.progress.value = s === 'done' ? this.progress.max : at;
    if (s === 'idle') return this.say(this.picker.value ? 'Press Play: the recording goes into the events log and the plot.' : 'Play back a recording of the broker (Record starts one) into the events log and the plot.');
    if (s === 'loading') return this.say(`Loading ${this.name}…`);
    const messages = this.info ? `${count(this.played)} / ${count(this.info.messages)} messages` : '';
    const where = `${duration(at * 1000)} / ${duration(total * 1000)}`;
    this.say(`${s === 'done' ? '✓ Played' : s === 'paused' ? '❚❚ Paused' : '▶ Playing'} ${where} · ${messages} · ${this.speed()}×`);
  }

  private say(text: string): void {
    if (this.statusLine.textContent !== text) this.statusLine.textContent = text;
  }
}

function sizeOf(n: number): string {
  return n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
