/**
 * deploy/ as far as a machine without Docker or kubectl can check it: every YAML parses; the Playwright image and the
 * `playwright@` run-server match playwright-core in package-lock.json; ports, paths and URLs agree between the browser
 * servers, the orchestrators and the collector; every environment name a manifest sets is read by the code, and what
 * the code requires is set; each `browser-pool` argument is an option the CLI's command takes; the headless Service
 * has clusterIP None; selectors match the labels of what they select; volumes and claims match.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { buildProgram, type Command } from '@browser-pool/cli/main';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

type Obj = Record<string, unknown>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Obj;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  workingDir?: string;
}
interface Workload {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    strategy?: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; volumes?: ({ name: string } & Obj)[] } };
  };
}
interface Service {
  kind: 'Service';
  metadata: { name: string };
  spec: { clusterIP?: string; selector: Record<string, string>; ports: { port: number; targetPort: number | string }[] };
}
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  expose?: string[];
  ports?: string[];
}

const read = (p: string): string => readFileSync(p, 'utf8');
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };
const PLAYWRIGHT = lock.packages['node_modules/playwright-core']?.version ?? 'missing';
const rootPackage = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };

function parseYaml(file: string): unknown[] {
  const docs = parseAllDocuments(read(file));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    expect(d.errors.map((e) => e.message), file).toEqual([]);
  }
  return list.map((d) => d.toJS() as unknown);
}

const k8sFiles = readdirSync('deploy/k8s').filter((f) => f.endsWith('.yaml')).map((f) => join('deploy/k8s', f));
const k8s = k8sFiles.flatMap(parseYaml) as (Workload | Service | { kind: string; metadata: { name: string } })[];
const compose = parseYaml('deploy/compose.yaml')[0] as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const workloads = k8s.filter((d): d is Workload => d.kind === 'Deployment' || d.kind === 'StatefulSet');
const services = k8s.filter((d): d is Service => d.kind === 'Service');
const workload = (name: string): Workload => {
  const w = workloads.find((d) => d.metadata.name === name);
  expect(w, `k8s workload ${name}`).toBeDefined();
  return w!;
};
const container = (name: string): Container => workload(name).spec.template.spec.containers[0]!;
const envOf = (c: Container): Record<string, string> => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? `<${Object.keys(e.valueFrom ?? {}).join()}>`]));
/** `--flag value` of a command line given as a list or as one `sh -c` string. */
const flag = (argv: readonly string[], name: string): string | undefined => {
  const words = argv.flatMap((a) => a.split(/\s+/));
  const at = words.indexOf(name);
  return at === -1 ? undefined : words[at + 1];
};

/** Environment names a source file reads: process.env.X, and env('X' / positive('X' in the orchestrator. */
const envRead = (file: string): Set<string> => new Set([...read(file).matchAll(/process\.env\.([A-Z_]+)|(?:env|positive)\('([A-Z_]+)'/g)].map((m) => m[1] ?? m[2]!));
const ORCHESTRATOR_ENV = envRead('deploy/orchestrator.ts');
/** Names the orchestrator requires (no default). */
const ORCHESTRATOR_REQUIRED = new Set([...read('deploy/orchestrator.ts').matchAll(/env\('([A-Z_]+)'\)/g)].map((m) => m[1]!));
const COLLECTOR_ENV = new Set([...envRead('packages/db-integration/src/store/store.ts'), ...envRead('packages/cli/src/commands/serve.ts'), ...envRead('packages/db-integration/src/api/server.ts')]);

/** The CLI's own options of a subcommand, plus the global ones. */
function cliOptions(sub: string): Set<string> {
  const program: Command = buildProgram({ out: () => undefined, err: () => undefined });
  const cmd = program.commands.find((c) => c.name() === sub);
  expect(cmd, `browser-pool ${sub}`).toBeDefined();
  return new Set([...cmd!.options, ...program.options].map((o) => o.long ?? ''));
}

describe('deploy/: versions and images', () => {
  it('runs the browser servers on the Playwright image and package of the locked playwright-core version', () => {
    expect(PLAYWRIGHT).toMatch(/^\d+\.\d+\.\d+$/);
    const image = `mcr.microsoft.com/playwright:v${PLAYWRIGHT}-noble`;
    const k8sServer = container('browser-server');
    const composeServer = compose.services['browser-server']!;
    expect(k8sServer.image).toBe(image);
    expect(composeServer.image).toBe(image);
    for (const argv of [k8sServer.command!, composeServer.command!]) {
      expect(argv.join(' ')).toContain(`npx -y playwright@${PLAYWRIGHT} run-server`);
    }
    // no other Playwright image or package version anywhere in deploy/
    const all = [read('deploy/compose.yaml'), ...k8sFiles.map(read)].join('\n');
    expect([...all.matchAll(/playwright:v([\d.]+)|playwright@([\d.]+)/g)].map((m) => m[1] ?? m[2])).toEqual(Array(4).fill(PLAYWRIGHT));
  });

  it('builds our image on a Node that package.json accepts, and every service of ours uses that one image', () => {
    const from = /^FROM node:(\d+)/m.exec(read('deploy/Dockerfile'));
    const min = /^>=(\d+)/.exec(rootPackage.engines.node);
    expect(Number(from?.[1])).toBeGreaterThanOrEqual(Number(min?.[1]));
    expect(compose.services.orchestrator?.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    const ours = new Set([compose.services.orchestrator?.image, compose.services.collector?.image, container('orchestrator').image, container('collector').image]);
    expect([...ours]).toEqual(['browser-pool:local']);
    expect(read('deploy/Dockerfile')).toMatch(/ENTRYPOINT \["node", "packages\/cli\/bin\/browser-pool\.mjs"\]/);
    expect(existsSync('packages/cli/bin/browser-pool.mjs')).toBe(true);
    expect(rootPackage.devDependencies.yaml).toBeDefined();
  });
});

describe('deploy/: ports, paths, environment', () => {
  const serverPort = Number(flag(container('browser-server').command!, '--port'));
  const serverPath = flag(container('browser-server').command!, '--path');

  it('points the orchestrators at the browser servers\' port and fixed path, in compose and Kubernetes', () => {
    expect(serverPort).toBe(3000);
    expect(serverPath).toBe('/pw');
    expect(flag(compose.services['browser-server']!.command!, '--port')).toBe(String(serverPort));
    expect(flag(compose.services['browser-server']!.command!, '--path')).toBe(serverPath);
    expect(compose.services['browser-server']!.expose).toEqual([String(serverPort)]);
    expect(container('browser-server').ports?.[0]?.containerPort).toBe(serverPort);
    const headless = services.find((s) => s.metadata.name === 'browser-server');
    expect(headless?.spec.ports[0]?.port).toBe(serverPort);
    for (const env of [envOf(container('orchestrator')), compose.services.orchestrator!.environment!]) {
      expect(env.BROWSER_SERVER_PORT).toBe(String(serverPort));
      expect(env.BROWSER_SERVER_PATH).toBe(serverPath);
    }
    // the DNS name is the browser servers' Service / compose service
    expect(envOf(container('orchestrator')).BROWSER_SERVERS_DNS).toBe('browser-server');
    expect(compose.services.orchestrator!.environment!.BROWSER_SERVERS_DNS).toBe('browser-server');
  });

  it('sets only environment names the code reads, and every one the orchestrator requires', () => {
    for (const [where, env] of [['k8s', envOf(container('orchestrator'))], ['compose', compose.services.orchestrator!.environment!]] as const) {
      expect(Object.keys(env).filter((n) => !ORCHESTRATOR_ENV.has(n)), `orchestrator (${where}) sets names nothing reads`).toEqual([]);
      expect([...ORCHESTRATOR_REQUIRED].filter((n) => !(n in env)), `orchestrator (${where}) lacks required names`).toEqual([]);
    }
    for (const env of [envOf(container('collector')), compose.services.collector!.environment!]) {
      expect(Object.keys(env).filter((n) => !COLLECTOR_ENV.has(n))).toEqual([]);
      expect(Object.keys(env).sort()).toEqual(['BENCHMARK_DB_PATH', 'BROWSER_POOL_TOKEN']);
    }
    expect(COLLECTOR_ENV.has('BENCHMARK_DB_PATH') && COLLECTOR_ENV.has('BROWSER_POOL_TOKEN')).toBe(true);
    // both sides use the one token: a Secret in Kubernetes, a required variable in compose
    expect(envOf(container('orchestrator')).BROWSER_POOL_TOKEN).toBe('<secretKeyRef>');
    expect(container('collector').env?.find((e) => e.name === 'BROWSER_POOL_TOKEN')?.valueFrom).toEqual(container('orchestrator').env?.find((e) => e.name === 'BROWSER_POOL_TOKEN')?.valueFrom);
    expect(compose.services.collector!.environment!.BROWSER_POOL_TOKEN).toMatch(/^\$\{BROWSER_POOL_TOKEN:\?/);
    expect(compose.services.orchestrator!.environment!.BROWSER_POOL_TOKEN).toBe(compose.services.collector!.environment!.BROWSER_POOL_TOKEN);
  });

  it('runs the collector with options `browser-pool serve` takes, on the port the orchestrators and the Service use, the database on its volume', () => {
    const serve = cliOptions('serve');
    for (const args of [container('collector').args!, compose.services.collector!.command!]) {
      expect(args[0]).toBe('serve');
      expect(args.filter((a) => a.startsWith('--')).filter((a) => !serve.has(a))).toEqual([]);
      expect(flag(args, '--host')).toBe('0.0.0.0');
      const port = Number(flag(args, '--port'));
      for (const url of [envOf(container('orchestrator')).COLLECTOR_URL, compose.services.orchestrator!.environment!.COLLECTOR_URL]) {
        const u = new URL(url!);
        expect(Number(u.port)).toBe(port);
        // the Host the orchestrators send is one the collector accepts
        expect(flag(args, '--allowed-host')?.split(',')).toContain(u.host);
      }
      expect(container('collector').ports?.[0]?.containerPort).toBe(port);
    }
    const svc = services.find((s) => s.metadata.name === 'collector');
    expect(svc?.spec.ports[0]?.port).toBe(Number(flag(container('collector').args!, '--port')));
    expect(new URL(envOf(container('orchestrator')).COLLECTOR_URL!).hostname).toBe('collector');
    // the DuckDB file lives on the claim / named volume
    const dbDir = dirname(envOf(container('collector')).BENCHMARK_DB_PATH!);
    const mount = container('collector').volumeMounts?.find((m) => m.mountPath === dbDir);
    const volume = workload('collector').spec.template.spec.volumes?.find((v) => v.name === mount?.name) as { persistentVolumeClaim?: { claimName: string } } | undefined;
    expect(k8s.some((d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === volume?.persistentVolumeClaim?.claimName)).toBe(true);
    const composeDb = dirname(compose.services.collector!.environment!.BENCHMARK_DB_PATH!);
    const named = compose.services.collector!.volumes?.find((v) => v.endsWith(`:${composeDb}`))?.split(':')[0];
    expect(named !== undefined && named in compose.volumes).toBe(true);
    // one writer per DuckDB file: one replica, never two pods at once
    expect(workload('collector').spec.replicas).toBe(1);
    expect(workload('collector').spec.strategy?.type).toBe('Recreate');
  });

  it('starts the orchestrator program the image carries', () => {
    for (const argv of [container('orchestrator').command!, compose.services.orchestrator!.entrypoint!]) {
      expect(argv).toEqual(['node_modules/.bin/tsx', 'deploy/orchestrator.ts']);
    }
    expect(existsSync('deploy/orchestrator.ts')).toBe(true);
    expect(read('deploy/orchestrator.ts')).toMatch(/dnsHosts\(env\('BROWSER_SERVERS_DNS'\)/);
  });
});

describe('deploy/: Kubernetes objects', () => {
  it('gives the browser servers a headless Service (clusterIP: None) so DNS answers with the pod addresses', () => {
    const headless = services.find((s) => s.metadata.name === 'browser-server');
    expect(headless?.spec.clusterIP).toBe('None');
    expect(services.find((s) => s.metadata.name === 'collector')?.spec.clusterIP).toBeUndefined();
  });

  it('matches every selector to the labels of what it selects, and every named target port to a container port', () => {
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual(['browser-server', 'collector', 'orchestrator']);
    for (const w of workloads) {
      expect(w.spec.template.metadata.labels, w.metadata.name).toMatchObject(w.spec.selector.matchLabels);
    }
    for (const s of services) {
      const selected = workloads.filter((w) => Object.entries(s.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
      expect(selected.map((w) => w.metadata.name), `Service ${s.metadata.name}`).toEqual([s.metadata.name]);
      for (const p of s.spec.ports) {
        const ports = selected[0]!.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
        expect(ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort), `${s.metadata.name} targetPort ${p.targetPort}`).toBe(true);
      }
    }
    for (const w of workloads) {
      const declared = new Set((w.spec.template.spec.volumes ?? []).map((v) => v.name));
      for (const c of w.spec.template.spec.containers) {
        expect((c.volumeMounts ?? []).filter((m) => !declared.has(m.name)), `${w.metadata.name} mounts`).toEqual([]);
      }
    }
  });
});
