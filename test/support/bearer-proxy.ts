// A loopback pass-through that adds `Authorization: Bearer <token>` to every request and forwards it otherwise
// byte for byte, Host and Origin included, to the local MCP function URL. For third-party clients that cannot
// send a header themselves (the MCP conformance CLI has no such option): the server still sees the caller's
// own Host/Origin, so its DNS-rebinding protection is what answers, and the token is checked as for any client.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BearerProxy {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  stop(): Promise<void>;
}

export async function startBearerProxy(target: string, token: string): Promise<BearerProxy> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers, authorization: `Bearer ${token}` };
    // The Host the client sent names the proxy's port; a loopback client keeps its host name on the target's port,
    // and any other Host (the rebinding scenario's) goes through unchanged.
    const host = req.headers.host ?? '';
    const loopback = /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.exec(host);
    if (loopback) headers.host = `${loopback[1]}:${upstream.port}`;
    if (typeof headers.origin === 'string' && loopback && headers.origin === `http://${host}`) headers.origin = `http://${headers.host}`;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
