/**
 * @foxglove/ws-protocol from ES modules. The package is CommonJS and defines its exports
 * as getters, which Node's named-export detection cannot see: take them off the default
 * export (module.exports) instead.
 */
import wsProtocol from '@foxglove/ws-protocol';

export const { FoxgloveServer, FoxgloveClient } = wsProtocol;
export type FoxgloveServer = InstanceType<typeof FoxgloveServer>;
export type FoxgloveClient = InstanceType<typeof FoxgloveClient>;
export { BinaryOpcode, StatusLevel, ServerCapability } from '@foxglove/ws-protocol';
export type { Channel, IWebSocket, Service, ServiceCallRequest } from '@foxglove/ws-protocol';
