import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { NGINX, REDIS_SERVER, selfSignedCertificate, siteConfig, startNginx, until } from '../../test/cluster/support/services';
import { DeployRequest, deployGatehouse, Deployment } from './deployments';
import { freePort, ROOT } from './processes';

/** What the multi-instance mode needs on this machine and cannot find; empty when it can run. */
export function clusterMissing(): string[] {
  return [!NGINX && 'nginx is not installed (apt-get install nginx)', !REDIS_SERVER && 'redis-server is not installed'].filter((m): m is string => Boolean(m));
}

function answers(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    https.get(`${url}/healthz`, { ca, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

/**
 * `instances` Gatehouse processes, each as `npm start` starts it (deployGatehouse), behind an
 * nginx of their own running deploy/nginx.conf as test/cluster/ runs it: TLS at nginx, only the
 * "site:" lines changed (test/cluster/support/services.ts), TRUST_PROXY=loopback on every
 * instance. The load goes to nginx over TLS; a target signs in on the first instance directly
 * (every instance accepts the tokens of the others).
 */
export async function deployBehindNginx(request: DeployRequest, instances: number): Promise<Deployment> {
  const { ws, name } = request;
  const servers: Deployment[] = [];
  const stopServers = async () => { for (const server of servers.splice(0)) await server.stop(); };
  try {
    for (let i = 1; i <= instances; i += 1) {
      servers.push(await deployGatehouse({ ...request, name: `${name}-${i}`, env: { ...request.env, TRUST_PROXY: 'loopback' } }));
    }
    const dir = path.join(ws.dir, `${name}-nginx`);
    fs.mkdirSync(dir, { recursive: true });
    const tls = selfSignedCertificate(dir);
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const shipped = fs.readFileSync(path.join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
    const nginx = await startNginx(dir, siteConfig(shipped, { upstreams: servers.map((s) => s.port), httpPort, httpsPort, cert: tls.cert, key: tls.key }));
    const url = `https://localhost:${httpsPort}`;
    const ca = fs.readFileSync(tls.cert, 'utf8');
    await until(`nginx in front of ${name}`, () => answers(url, ca)).catch(async (error) => {
      await nginx.stop();
      throw new Error(`${(error as Error).message}\n${nginx.output()}`);
    });
    return {
      name,
      port: servers[0]!.port,
      url,
      startupMs: Math.max(...servers.map((s) => s.startupMs)),
      peakRssMb: () => Math.max(...servers.map((s) => s.peakRssMb())),
      rssMb: () => Math.max(...servers.map((s) => s.rssMb())),
      cpuMs: () => servers.reduce((sum, s) => sum + s.cpuMs(), 0),
      settle: async (timeoutMs) => { await Promise.all(servers.map((s) => s.settle(timeoutMs))); },
      async stop() {
        await nginx.stop();
        await stopServers();
      },
    };
  } catch (error) {
    await stopServers();
    throw error;
  }
}
