/**
 * The hardware harness's infrastructure layer. Each subfolder has its own surface:
 * image/ (guest images), vmm/ (QEMU, Firecracker), block/ (files, loop, NVMe),
 * host/ (processes, network namespaces, teardown), probe/ (what this machine offers).
 */
export * as image from './image/index.ts';
export * as vmm from './vmm/index.ts';
export * as block from './block/index.ts';
export * as host from './host/index.ts';
export { probe, type ProbeOptions } from './probe/index.ts';
export * from './report.ts';
export {
  harnessError,
  runCommand,
  runChecked,
  type HarnessError,
  type HarnessErrorCode,
} from './run.ts';
