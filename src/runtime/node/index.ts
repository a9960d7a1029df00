/** The real node driver: frames over TCP, durable files, block devices, child processes. */
export * from './result.ts';
export * from './framing.ts';
export * from './tcp.ts';
export * from './durable-file.ts';
export * from './block-device.ts';
export * from './process.ts';
export * from './wal.ts';
