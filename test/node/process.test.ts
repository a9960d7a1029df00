import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FrameClient,
  killAllRoles,
  liveRoleCount,
  RoleProcess,
} from '../../src/runtime/node/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'fixtures', 'echo-server.ts');
const res = z.object({ n: z.number(), pid: z.number() });
afterAll(killAllRoles);

describe('RoleProcess', () => {
  it('spawns, pauses, resumes, restarts on the same port and kills a role', async () => {
    const started = await RoleProcess.spawn({ name: 'echo', entry, args: { port: 0 } });
    if (!started.ok) throw new Error(started.error.message);
    const role = started.value;
    const port = role.port;
    expect(port).toBeGreaterThan(0);
    const client = new FrameClient<{ n: number }, z.infer<typeof res>>({
      port,
      responseSchema: res,
      reconnectInitialDelayMs: 5,
    });
    const first = await client.request({ n: 1 });
    expect(first.ok && first.value.pid).toBe(role.pid);

    role.pause();
    const stalled = await client.request({ n: 2 }, 200);
    expect(stalled.ok ? 'ok' : stalled.error.code).toBe('timeout');
    role.resume();
    const resumed = await client.request({ n: 3 }, 2000);
    expect(resumed.ok && resumed.value.n).toBe(3);

    const oldPid = role.pid;
    const restarted = await role.restart({ port });
    expect(restarted.ok).toBe(true);
    expect(role.pid).not.toBe(oldPid);
    const after = await client.request({ n: 4 }, 3000);
    expect(after.ok && after.value.pid).toBe(role.pid);

    await client.close();
    await role.kill();
    expect(role.alive).toBe(false);
    expect(liveRoleCount()).toBe(0);
  });

  it('runs a role through a launcher that execs it (the pid signalled is the role\'s)', async () => {
    // `env X=1 node ...` execs node, as `ip netns exec NS node ...` does.
    const started = await RoleProcess.spawn({ name: 'echo-launched', entry, args: { port: 0 },
      launcher: ['env', 'PLUMBLINE_LAUNCHED=1'] });
    if (!started.ok) throw new Error(started.error.message);
    const client = new FrameClient<{ n: number }, z.infer<typeof res>>({
      port: started.value.port, responseSchema: res, reconnectInitialDelayMs: 5 });
    const r = await client.request({ n: 7 }, 3000);
    expect(r.ok && r.value.pid).toBe(started.value.pid);
    await client.close();
    await started.value.kill();
    expect(started.value.alive).toBe(false);
  });

  it('reports a role that dies before it is ready', async () => {
    const r = await RoleProcess.spawn({ name: 'bad', entry, args: { port: 'nope' } });
    expect(r.ok ? 'ok' : r.error.code).toBe('exited-early');
  });
});
