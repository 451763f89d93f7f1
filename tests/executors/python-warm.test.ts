/**
 * A spare worker of a broker whose project is Python starts its interpreter ahead of
 * need, so the next Python update (the `dev` loop's save -> upload) only imports the
 * project; a project of another language sends that interpreter away. Real workers,
 * real Python; sandbox none so the test can follow the interpreter by its pid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, startTestBroker, waitFor, type Client, type TestBroker } from '../helpers/broker.js';
import { alive, liveProcs } from '../helpers/procs.js';
import { zipFiles } from '../helpers/zip.js';

const PYTHON = { 'main.py': 'import os\n\n\nclass Robot:\n    def pid(self):\n        return os.getpid()\n\n\nrobot = Robot()\n' };
const JAVASCRIPT = { 'main.js': 'exports.robot = { pid() { return process.pid; } };\n' };

describe('a Python interpreter started ahead of need', () => {
  let t: TestBroker;
  let c: Client;
  beforeAll(async () => {
    t = await startTestBroker({ worker: { sandbox: 'none', standby: true } });
    c = await t.connect();
  });
  afterAll(async () => {
    await t?.close();
  });

  const spares = () => t.logLines().filter((l) => l.msg === 'worker spawned' && l.reason === 'standby');
  let used = 0;

  /** A spare not used yet, once its interpreter is up: its worker's pid and its Python's. */
  async function warmSpare(): Promise<{ worker: number; python: number }> {
    let found: { worker: number; python: number } | null = null;
    await waitFor(
      () => {
        const all = spares();
        const spawned = all.length > used ? all.at(-1) : undefined;
        if (spawned?.warmPython !== true) return false;
        const worker = spawned.workerPid as number;
        const python = liveProcs().find((p) => p.ppid === worker && p.cmdline.includes('python_runner.py'));
        found = python ? { worker, python: python.pid } : null;
        return found !== null;
      },
      20_000,
      'a spare with its Python interpreter running',
    );
    used = spares().length;
    return found!;
  }

  it('a spare of a Python project has its interpreter running; the next Python update loads on it', async () => {
    expect((await call(c, 'update', { data: zipFiles(PYTHON) })).status).toBe('success');
    const spare = await warmSpare();
    expect((await call(c, 'update', { data: zipFiles(PYTHON) })).status).toBe('success');
    // The project answers from the interpreter the spare had started before the upload.
    expect((await callMethod<number>(c, 'robot', 'pid')).data).toBe(spare.python);
    await waitFor(() => t.logLines().some((l) => l.msg === 'python runner loads the project' && l.warm === true), 10_000, 'the warm load in the log');
  });

  it('a JavaScript project after it: the interpreter started for Python goes, and the next spare starts none', async () => {
    const spare = await warmSpare();
    expect((await call(c, 'update', { data: zipFiles(JAVASCRIPT) })).status).toBe('success');
    expect((await callMethod<number>(c, 'robot', 'pid')).data).toBe(spare.worker);
    await waitFor(() => !alive(spare.python), 5000, 'the unneeded interpreter to exit');
    await waitFor(() => spares().length > used, 20_000, 'the next spare');
    expect(spares().at(-1)?.warmPython).toBe(false);
  });
});
