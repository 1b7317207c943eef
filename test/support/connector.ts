import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for a channel's Bot Framework connector service (what Azure Bot
 * Service runs for Teams or Web Chat): it receives what the bot sends outside
 * a user's turn (proactive agent messages) at serviceUrl.
 */
export interface FakeConnector {
  url: string;
  received: { conversationId: string; activity: any }[];
  textsFor(conversationId: string): string[];
  /** with `hold`: answers the activities received so far, and from now on answers at once */
  release(): void;
  close(): Promise<void>;
}

/** `hold`: a slow connector, which answers nothing until release() */
export async function startFakeConnector({ hold = false } = {}): Promise<FakeConnector> {
  const received: FakeConnector['received'] = [];
  let holding = hold;
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const m = /\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
      if (req.method === 'POST' && m) {
        received.push({ conversationId: decodeURIComponent(m[1]!), activity: JSON.parse(body || '{}') });
        const id = `act-${received.length}`;
        const answer = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id }));
        };
        if (holding) held.push(answer);
        else answer();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    textsFor: (id) => received.filter((r) => r.conversationId === id && r.activity.type === 'message').map((r) => r.activity.text as string),
    release: () => {
      holding = false;
      held.splice(0).forEach((answer) => answer());
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
