/**
 * Firecracker over its HTTP API on a Unix socket. The request builders are pure and
 * unit-tested; the client sends them with node:http (`socketPath`). The adapter is used only
 * where a `firecracker` binary is on PATH: `findFirecracker()` says whether one is, and the
 * harness reports "firecracker: absent, skipped" otherwise.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import { err, harnessError, ok, type HarnessError, type Result } from '../run.ts';

export type FirecrackerRequest = {
  method: 'PUT' | 'PATCH' | 'GET';
  path: string;
  body?: Record<string, unknown>;
};

export function bootSourceRequest(kernelPath: string, initrdPath: string, bootArgs: string) {
  const body = { kernel_image_path: kernelPath, initrd_path: initrdPath, boot_args: bootArgs };
  return { method: 'PUT', path: '/boot-source', body } satisfies FirecrackerRequest;
}

export function machineConfigRequest(vcpus: number, memoryMiB: number) {
  const body = { vcpu_count: vcpus, mem_size_mib: memoryMiB };
  return { method: 'PUT', path: '/machine-config', body } satisfies FirecrackerRequest;
}

export function driveRequest(driveId: string, hostPath: string, readOnly = false) {
  if (!/^[A-Za-z0-9_]+$/.test(driveId)) throw new Error('assertion failed: drive id is a word');
  const body = { drive_id: driveId, path_on_host: hostPath, is_root_device: false,
    is_read_only: readOnly };
  return { method: 'PUT', path: `/drives/${driveId}`, body } satisfies FirecrackerRequest;
}

export function startRequest() {
  return { method: 'PUT', path: '/actions', body: { action_type: 'InstanceStart' } } satisfies
    FirecrackerRequest;
}

/** PATCH /vm: pause or resume. */
export function vmStateRequest(state: 'Paused' | 'Resumed') {
  return { method: 'PATCH', path: '/vm', body: { state } } satisfies FirecrackerRequest;
}

/** PUT /snapshot/create (the VM must be paused first). */
export function snapshotCreateRequest(snapshotPath: string, memFilePath: string, diff = false) {
  const body = { snapshot_type: diff ? 'Diff' : 'Full', snapshot_path: snapshotPath,
    mem_file_path: memFilePath };
  return { method: 'PUT', path: '/snapshot/create', body } satisfies FirecrackerRequest;
}

/** PUT /snapshot/load into a fresh Firecracker process. */
export function snapshotLoadRequest(snapshotPath: string, memFilePath: string, resume: boolean) {
  const body = { snapshot_path: snapshotPath, mem_backend: { backend_type: 'File',
    backend_path: memFilePath }, resume_vm: resume };
  return { method: 'PUT', path: '/snapshot/load', body } satisfies FirecrackerRequest;
}

const faultSchema = z.object({ fault_message: z.string() });

/** Send one request over the API socket; 2xx is success, otherwise the fault message. */
export function sendRequest(
  socketPath: string,
  request: FirecrackerRequest,
  timeoutMs = 10_000,
): Promise<Result<unknown, HarnessError>> {
  const payload = request.body === undefined ? '' : JSON.stringify(request.body);
  return new Promise((resolve) => {
    const req = http.request(
      { socketPath, path: request.path, method: request.method, timeout: timeoutMs,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json',
          'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve(toResult(res.statusCode ?? 0, text, request)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(err(harnessError('vm-failed', `firecracker: ${e.message}`))));
    req.end(payload);
  });
}

function toResult(status: number, text: string, request: FirecrackerRequest) {
  const json = safeJson(text);
  if (status >= 200 && status < 300) return ok(json);
  const fault = faultSchema.safeParse(json);
  const why = fault.success ? fault.data.fault_message : text.slice(0, 200);
  const message = `${request.method} ${request.path} -> ${status}: ${why}`;
  return err(harnessError('bad-response', message));
}

function safeJson(text: string): unknown {
  try {
    return text.length === 0 ? null : JSON.parse(text);
  } catch {
    return text;
  }
}

/** The firecracker binary on PATH, or null. */
export function findFirecracker(searchPath = process.env.PATH ?? ''): string | null {
  for (const dir of searchPath.split(':')) {
    if (dir.length === 0) continue;
    const candidate = path.join(dir, 'firecracker');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
