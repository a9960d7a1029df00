/** Instance backends for snapshot-GC: the interface, and the process backend. */
export * from './types.ts';
export { ProcessBackend, type ProcessBackendOptions } from './process-backend.ts';
export { PeerServer, type PeerConnection } from './peer.ts';
export { killAllAgents, liveAgentCount } from './agent-process.ts';
export { EMPTY_PRESERVED } from './preserved.ts';
