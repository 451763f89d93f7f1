/** What every kind of project (JavaScript, TypeScript, Python) looks like to the worker. */
import type { MethodInfo, ProcessParams, ProjectType } from '../../ipc/protocol.js';

export interface LoadedProject {
  readonly type: ProjectType;
  readonly entry: string;
  /** Each callable object and its methods. */
  readonly objects: Record<string, string[]>;
  /** Each object's methods with their parameters and docs (the start ack's `methods`). */
  readonly methods: Record<string, Record<string, MethodInfo>>;
  /** Call `object.method` with `args` spread (array), whole (object) or absent. */
  call(object: string, method: string, args: ProcessParams['args']): unknown;
  /** Run every stop() hook within `timeoutMs`; the names of the hooks that ran. */
  stop(timeoutMs: number): Promise<string[]>;
}
