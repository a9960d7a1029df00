/** The snapshot-GC node driver: a GC host over real instances, with a TCP client API. */
export { GcHost, type GcHostOptions, type HostError } from './gc-host.ts';
export * from './wire.ts';
