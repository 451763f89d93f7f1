/**
 * Seed 003's README example runs as it is: RobotController with prepare_mode,
 * get_status, the 2 s medium_task, and start_long_task, which returns at once and
 * pushes `task_completed` from a background thread ten seconds later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callMethod, collect, waitFor, startTestBroker, type Client, type TestBroker } from '../helpers/broker.js';
import { fixtureZip } from '../helpers/zip.js';

let t: TestBroker;
let c: Client;
beforeAll(async () => {
  t = await startTestBroker();
  c = await t.connect();
});
afterAll(async () => {
  await t?.close();
});

describe("seed 003's Python example", () => {
  it('uploads and lists robot_controller with its public methods', async () => {
    const up = await call(c, 'update', { data: fixtureZip('seed-python-example') });
    expect(up).toMatchObject({ status: 'success', data: { type: 'python', entry: 'main.py' } });
    const s = await call(c, 'start', {});
    const objects = (s.data as { objects: Record<string, string[]> }).objects;
    expect(Object.keys(objects)).toEqual(['robot_controller']);
    expect([...objects.robot_controller!].sort()).toEqual(['get_status', 'medium_task', 'prepare_mode', 'start_long_task']);
  });

  it("logs the constructor's print as a robot line", async () => {
    await waitFor(() => t.logLines().some((l) => l.src === 'robot' && l.msg === 'RobotController initialized'), 5000, 'the print');
  });

  it('answers the synchronous methods with args {} as the seed clients send them', async () => {
    expect((await callMethod(c, 'robot_controller', 'prepare_mode', {})).data).toEqual({ status: 'success', message: '准备模式已激活', mode: 'prepare' });
    expect((await callMethod(c, 'robot_controller', 'get_status', {})).data).toEqual({ status: 'success', mode: 'prepare', battery: 85 });
    expect((await callMethod(c, 'robot_controller', 'medium_task')).data).toEqual({ status: 'success', result: '完成' });
  });

  it('start_long_task returns at once and task_completed arrives from the background thread', async () => {
    const done = collect<{ result: string }>(c, 'task_completed');
    const r = await callMethod(c, 'robot_controller', 'start_long_task', {});
    expect(r.data).toEqual({ status: 'success', message: '任务已启动' });
    expect(done).toEqual([]);
    await waitFor(() => done.length === 1, 20_000, 'task_completed');
    expect(done).toEqual([{ result: '完成' }]);
  });

  it('never exposes the private _do_work', async () => {
    expect((await callMethod(c, 'robot_controller', '_do_work')).data).toMatchObject({ code: 'E_UNKNOWN_METHOD' });
  });
});
