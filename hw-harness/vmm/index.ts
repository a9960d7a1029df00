/** The VMM adapter: one interface (types.ts), QEMU over QMP, Firecracker's request building. */
export * from './types.ts';
export { AgentChannel, execResultSchema, type ExecResult } from './agent.ts';
export { QmpClient, qmpEventSchema, type QmpEvent } from './qmp.ts';
export {
  QemuVm,
  QEMU_BINARY,
  qemuArgs,
  savedStateSchema,
  liveVmCount,
  destroyAllVms,
  shellQuote,
  type Incoming,
} from './qemu.ts';
export { QemuVmm, bootWith } from './qemu-vmm.ts';
export {
  detectAccel,
  forgetAccelProbe,
  kvmDeviceOpenable,
  KVM_PROBE_TIMEOUT_MS,
  accelProbeSchema,
  type AccelProbe,
} from './accel.ts';
export * from './firecracker.ts';
