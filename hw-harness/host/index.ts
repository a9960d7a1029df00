/** Hosts for fault injection: processes, network namespaces, and a teardown for all of it. */
export { HostProcess, type HostProcessSpec } from './process.ts';
export { HostNetwork, netemArgs, type NetHost, type NetemOptions } from './netns.ts';
export { Teardown, withTeardown, runQuietSync } from './teardown.ts';
