/**
 * Recording, installed on the broker: the recorder fed by the session tap (started at
 * once with `recording.enabled`), the `record` event for the controlling client, and
 * the /recordings routes the panel plays back from.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientSocket } from '../commands.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { RecordingLibrary } from './library.js';
import { attachRecordSwitch } from './record-switch.js';
import { Recorder } from './recorder.js';
import { recordingRoutes } from './routes.js';
import type { SessionTap } from './tap.js';

export interface RecordingContext {
  config: Config;
  tap: SessionTap;
  log: Logger;
  /** The HTTP app the /recordings routes are added to (before it listens). */
  http: FastifyInstance;
  /** The token check of /stats, for the recordings routes. */
  authorize(req: FastifyRequest, reply: FastifyReply): boolean;
}

export interface Recording {
  readonly recorder: Recorder;
  /** Accept the `record` event from this (controlling) client. */
  attach(socket: ClientSocket): void;
  /** Finish the recording in progress. */
  close(): Promise<void>;
}

export async function installRecording(ctx: RecordingContext): Promise<Recording> {
  const log = ctx.log.child({ module: 'recording' });
  const { dir, max_bytes, max_queue_bytes, enabled } = ctx.config.recording;
  const recorder = new Recorder({ dir, maxBytes: max_bytes, maxQueueBytes: max_queue_bytes, log, subscribe: (c) => ctx.tap.subscribe(c) });
  recordingRoutes(ctx.http, new RecordingLibrary(dir, recorder), ctx.authorize);
  if (enabled) {
    try {
      await recorder.start('recording.enabled');
    } catch (err) {
      throw new Error(`recording.dir ${dir}: cannot record there (${(err as Error).message})`);
    }
  }
  return {
    recorder,
    attach: (socket) => attachRecordSwitch(socket, recorder, log),
    close: () => recorder.close('broker stopping'),
  };
}
