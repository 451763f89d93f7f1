/**
 * The `record` event: the controlling client switches the session's recording on or
 * off (`{ on: boolean }`) and gets the recording back (`RecordResult`, file names as
 * `GET /recordings` lists them). Only the controlling client is on the default
 * namespace, so "allowed for the controller" is where this is attached.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { BrokerError } from '../../ipc/errors.js';
import type { Ack, RecordResult } from '../../ipc/protocol.js';
import { errorAck, splitArgs, type ClientSocket } from '../commands.js';
import { EVENTS_CHANNEL, type Logger } from '../logger.js';
import type { Recorder, RecordingStatus } from './recorder.js';

const schema = z.object({ on: z.boolean() });

export function resultOf(s: RecordingStatus): RecordResult {
  return {
    on: s.active,
    file: s.file && basename(s.file),
    files: s.files.map((f) => basename(f)),
    messages: s.messages,
    bytes: s.bytes,
    dropped: s.dropped,
  };
}

export function attachRecordSwitch(socket: ClientSocket, recorder: Recorder, log: Logger): void {
  socket.on('record', (...args: unknown[]) => {
    const { payload, ack } = splitArgs(args);
    void answer(payload, recorder, log.child({ socket: socket.id })).then((response) => {
      if (ack) ack(response);
      else socket.emit('broker_error', { message: 'record needs an acknowledgement callback: emit("record", { on }, callback)', data: { code: 'E_NO_ACK' } });
    });
  });
}

async function answer(payload: unknown, recorder: Recorder, log: Logger): Promise<Ack<RecordResult>> {
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) {
    return errorAck(new BrokerError('E_INVALID_PAYLOAD', 'on: expected true or false', { field: 'on' }));
  }
  const { on } = parsed.data;
  log.info({ channel: EVENTS_CHANNEL, event: 'record', on }, `record ${on ? 'on' : 'off'}`);
  try {
    const status = on ? await recorder.start('record event') : await recorder.stop('record event');
    return { status: 'success', message: on ? 'Recording' : 'Recording stopped', data: resultOf(status) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const full = e.code === 'ENOSPC' || e.code === 'EDQUOT' || /disk full/.test(e.message);
    return errorAck(new BrokerError(full ? 'E_DISK_FULL' : 'E_RECORDING_FAILED', `recording could not start: ${e.message}`, { reason: e.message }));
  }
}
