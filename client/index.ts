/**
 * The robot-control client SDK: `import { RobotClient } from 'robot-control'`.
 * Node only (it reads project folders and ZIP files from disk).
 */
export { RobotClient } from './robot-client.js';
export { DEFAULT_URL, DEFAULT_CALL_TIMEOUT_MS } from './options.js';
export type { RobotClientOptions, ReconnectOptions, CallOptions, UpdateOptions, ClientState, ClientEvents, KnownEvents, PushListener, AnyListener } from './options.js';
export { RobotClientError, BrokerError, CLIENT_ERROR_CODES, isRobotError } from './errors.js';
export type { RobotError, RobotErrorCode, ClientErrorCode } from './errors.js';
export { packProject, findEntry, zipOf, PackError, ENTRY_MODULES, SKIPPED_DIRS } from './pack.js';
export type { PackedProject, PackOptions, ProjectSource } from './pack.js';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { ERROR_CODES } from '../ipc/errors.js';
export type { ErrorCode } from '../ipc/errors.js';
export type {
  UpdateResult,
  StartResult,
  WorkerStatus,
  WorkerState,
  ShedReport,
  ProjectType,
  ClientRole,
  ControlState,
  TakeControlResult,
  ReleaseControlResult,
  EmergencyStopResult,
  PushMeta,
  ReplayInfo,
  ReplayGap,
  SubscriptionsResult,
} from '../ipc/protocol.js';
