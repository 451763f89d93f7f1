/**
 * `node dist/bench/variants.js [name ...]`: copies of the compiled broker with one
 * proposed change applied each, under bench-results/variants/<name>/dist, to be
 * measured with `npm run bench -- --broker-dist bench-results/variants/<name>/dist`.
 * Evidence for the proposals in docs/PERFORMANCE.md, made without touching the
 * sources (their owners apply the real change). A patch whose target text is gone
 * (the source moved on) fails loudly instead of measuring the wrong thing.
 */
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Patch {
  file: string;
  find: string;
  replace: string;
}

const QUEUE_HEAD: Patch[] = [
  { file: 'ipc/send-queue.js', find: '    items = [];\n', replace: '    items = [];\n    head = 0;\n' },
  {
    file: 'ipc/send-queue.js',
    find: 'for (let item = this.items.shift(); item; item = this.items.shift()) {',
    replace: 'for (let item = this.take(); item; item = this.take()) {',
  },
  {
    file: 'ipc/send-queue.js',
    find: '    async drain() {',
    replace:
      '    take() {\n        if (this.head === this.items.length) {\n            this.items = [];\n            this.head = 0;\n            return undefined;\n        }\n' +
      '        const item = this.items[this.head];\n        this.items[this.head++] = undefined;\n        return item;\n    }\n    async drain() {',
  },
  { file: 'ipc/send-queue.js', find: '        return this.items.length;\n', replace: '        return this.items.length - this.head;\n' },
];

/** The events journal's one info line per command (commands.ts logged a second one until d50c70f). */
const JOURNAL_LOG_DEBUG: Patch = {
  file: 'server/observability/events-journal.js',
  find: 'j.info(fields, `${a.command} ok`)',
  replace: "(a.command === 'process' ? j.debug : j.info).call(j, fields, `${a.command} ok`)",
};

/** prom-client hashes the label object on every observe(); a labelled child per value skips it. */
const METRIC_CHILDREN: Patch[] = [
  {
    file: 'server/observability/metrics.js',
    find: 'commandDuration.observe({ command }, seconds);',
    replace: '(commandChildren.get(command) ?? commandChildren.set(command, commandDuration.labels({ command })).get(command)).observe(seconds);',
  },
  {
    file: 'server/observability/metrics.js',
    find: 'methodDuration.observe({ method }, seconds);',
    replace: '(methodChildren.get(method) ?? methodChildren.set(method, methodDuration.labels({ method })).get(method)).observe(seconds);',
  },
  {
    file: 'server/observability/metrics.js',
    find: '    stats.observe(({ command, method, seconds }) => {',
    replace: '    const commandChildren = new Map();\n    const methodChildren = new Map();\n    stats.observe(({ command, method, seconds }) => {',
  },
];

/** No await (two microtask turns) on the way to the router when the worker is ready. */
const CALL_FAST_PATH: Patch = {
  file: 'server/supervisor.js',
  find: 'const worker = await this.ensureReady(options.clearFailed);',
  replace: "const worker = this.state === 'ready' && this.routingId ? this.routingId : await this.ensureReady(options.clearFailed);",
};

/** Pushes nobody awaits: queued without a promise (failures still reach onError). */
const PUBLISH_NO_PROMISE: Patch[] = [
  {
    file: 'ipc/send-queue.js',
    find: '    send(frames) {',
    replace:
      '    post(frames) {\n        this.items.push({ frames, resolve: NOOP, reject: NOOP });\n        if (!this.draining)\n            void this.drain();\n    }\n    send(frames) {',
  },
  { file: 'ipc/send-queue.js', find: 'export class SendQueue {', replace: 'const NOOP = () => { };\nexport class SendQueue {' },
  { file: 'ipc/publisher.js', find: 'return this.queue.send([JSON.stringify(event)]);', replace: 'this.queue.post([JSON.stringify(event)]);' },
];

/** Up to 64 pushes made in one go travel as one ZeroMQ message (a JSON array), in order. */
const PUBLISH_BATCH: Patch[] = [
  PUBLISH_NO_PROMISE[0]!,
  PUBLISH_NO_PROMISE[1]!,
  {
    file: 'ipc/publisher.js',
    find: '        return this.queue.send([JSON.stringify(event)]);\n    }',
    replace:
      '        this.batch.push(JSON.stringify(event));\n        if (this.batch.length >= 64)\n            this.flush();\n' +
      '        else if (!this.flushQueued) {\n            this.flushQueued = true;\n            queueMicrotask(() => { this.flushQueued = false; this.flush(); });\n        }\n    }\n' +
      "    batch = [];\n    flushQueued = false;\n    flush() {\n        if (this.batch.length === 0)\n            return;\n        const b = this.batch;\n        this.batch = [];\n        this.queue.post(['[' + b.join(',') + ']']);\n    }",
  },
  {
    file: 'ipc/subscriber.js',
    find: '                this.onEvent(event);',
    replace: '                if (Array.isArray(event))\n                    for (const e of event)\n                        this.onEvent(e);\n                else\n                    this.onEvent(event);',
  },
];

export const VARIANTS: Record<string, { why: string; patches: Patch[] }> = {
  'queue-head': { why: 'SendQueue drains with a head index instead of Array.shift() (quadratic past ~16k queued items)', patches: QUEUE_HEAD },
  'process-log-debug': {
    why: 'successful process commands logged at debug by the events journal; errors, update and start stay at info/warn',
    patches: [JOURNAL_LOG_DEBUG],
  },
  both: { why: 'queue-head + process-log-debug', patches: [...QUEUE_HEAD, JOURNAL_LOG_DEBUG] },
  'all+publish': {
    why: 'all + pushMessage queues events without a promise each',
    patches: [...QUEUE_HEAD, JOURNAL_LOG_DEBUG, ...METRIC_CHILDREN, CALL_FAST_PATH, ...PUBLISH_NO_PROMISE],
  },
  'all+batch': {
    why: 'all + pushes batched, up to 64 per ZeroMQ message',
    patches: [...QUEUE_HEAD, JOURNAL_LOG_DEBUG, ...METRIC_CHILDREN, CALL_FAST_PATH, ...PUBLISH_BATCH],
  },
  all: {
    why: 'both + labelled prom-client children + a synchronous ready check in Supervisor.call',
    patches: [...QUEUE_HEAD, JOURNAL_LOG_DEBUG, ...METRIC_CHILDREN, CALL_FAST_PATH],
  },
};

export function makeVariant(name: string, dist: string, outRoot: string): string {
  const v = VARIANTS[name];
  if (!v) throw new Error(`unknown variant "${name}"; known: ${Object.keys(VARIANTS).join(', ')}`);
  const root = join(outRoot, name);
  rmSync(root, { recursive: true, force: true });
  cpSync(dist, join(root, 'dist'), { recursive: true, filter: (src) => !src.includes(`${join(dist, 'bench')}`) });
  // paths.ts finds the default project at <dist>/../storage; node_modules resolves up the tree.
  const storage = resolve(dist, '..', 'storage');
  if (existsSync(storage)) symlinkSync(storage, join(root, 'storage'));
  for (const p of v.patches) {
    const file = join(root, 'dist', p.file);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(p.find)) throw new Error(`${name}: ${p.file} no longer contains ${JSON.stringify(p.find.slice(0, 80))}`);
    writeFileSync(file, text.replace(p.find, p.replace));
  }
  writeFileSync(join(root, 'VARIANT.txt'), `${name}: ${v.why}\n`);
  return join(root, 'dist');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = fileURLToPath(new URL('../', import.meta.url));
  const outRoot = resolve(dist, '..', 'bench-results', 'variants');
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(VARIANTS);
  for (const name of names) {
    const made = makeVariant(name, dist, outRoot);
    process.stdout.write(`${name}: ${VARIANTS[name]!.why}\n  npm run bench -- --broker-dist ${made}\n`);
  }
}
