/**
 * How a proposer reaches the members of its groups: one request/response call per frame.
 * `tcpTransport` keeps one FrameClient per member (reconnecting on its own); tests and the
 * counting bench wrap or replace it.
 */
import { FrameClient, type Result, type TcpError } from '../../runtime/node/index.ts';
import {
  MemberReplySchema, type Endpoint, type Groups, type MemberReply, type MemberRequest,
} from './wire.ts';

export interface TransportError {
  readonly code: string;
  readonly message: string;
}
export interface MemberTransport {
  request(member: string, req: MemberRequest, timeoutMs: number):
    Promise<Result<MemberReply, TransportError>>;
  close(): Promise<void>;
}

export function tcpTransport(groups: Groups): MemberTransport {
  const clients = new Map<string, FrameClient<MemberRequest, MemberReply>>();
  const endpoints = new Map<string, Endpoint>();
  for (const members of Object.values(groups)) for (const m of members) endpoints.set(m.id, m);
  const client = (id: string): FrameClient<MemberRequest, MemberReply> | null => {
    const known = clients.get(id);
    if (known !== undefined) return known;
    const ep = endpoints.get(id);
    if (ep === undefined) return null;
    const c = new FrameClient<MemberRequest, MemberReply>({
      host: ep.host, port: ep.port, responseSchema: MemberReplySchema, maxPending: 16_384,
      reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 200, maxReconnectAttempts: 10,
    });
    clients.set(id, c);
    return c;
  };
  return {
    async request(member, req, timeoutMs): Promise<Result<MemberReply, TcpError | TransportError>> {
      const c = client(member);
      if (c === null) return { ok: false, error: { code: 'unknown-member', message: member } };
      return c.request(req, timeoutMs);
    },
    async close(): Promise<void> {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
