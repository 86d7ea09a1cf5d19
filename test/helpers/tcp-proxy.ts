import net from 'node:net';

/**
 * A TCP proxy on loopback between the app and a real server (MariaDB, Redis) that a test can
 * cut and restore: cut() destroys every open connection and stops listening, so new
 * connections are refused; restore() listens again on the same port.
 */
export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Drops every open connection the moment the client sends bytes matching `pattern` (they are never delivered). */
  dropConnectionsOn(pattern: RegExp): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  let trigger: RegExp | undefined;
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (trigger?.test(chunk.toString('latin1'))) {
        trigger = undefined;
        dropAll();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  let listening = true;

  const stop = async () => {
    dropAll();
    if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    listening = false;
  };
  return {
    port,
    cut: stop,
    async restore() {
      if (!listening) await listen(port);
      listening = true;
    },
    dropConnectionsOn(pattern: RegExp) {
      trigger = pattern;
    },
    close: stop,
  };
}
