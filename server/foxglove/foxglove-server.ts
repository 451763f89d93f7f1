/**
 * @foxglove/ws-protocol from ES modules. The package is CommonJS and defines its exports
 * as getters, which Node's named-export detection cannot see: required (ipc/cjs.ts), its
 * exports are taken off module.exports.
 */
import type * as WsProtocol from '@foxglove/ws-protocol';
import { requireCjs } from '../../ipc/cjs.js';

const wsProtocol = requireCjs('@foxglove/ws-protocol') as typeof WsProtocol;
export const { FoxgloveServer, FoxgloveClient, BinaryOpcode, StatusLevel, ServerCapability } = wsProtocol;
export type FoxgloveServer = InstanceType<typeof FoxgloveServer>;
export type FoxgloveClient = InstanceType<typeof FoxgloveClient>;
export type { Channel, IWebSocket, Service, ServiceCallRequest } from '@foxglove/ws-protocol';
