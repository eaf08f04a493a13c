/**
 * The deployment files, checked without docker or a cluster: compose.yaml and deploy/k8s/*.yaml parsed
 * with the `yaml` package and held to zod schemas of what Patrol needs from them (Redis with AOF and a
 * password, health checks on /healthz and /readyz, a PodDisruptionBudget that selects the workers, labels
 * and selectors that meet, secrets by reference only), worker resources recomputed from
 * bench/results/throughput.json, and the Dockerfile's default command (a demo reachable from the host).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REPO } from '../../support/fixture-video.js';
import { demoConfig } from '../../deploy/demo-config.js';
import { HEAP_FLOOR_FLAG } from '../../src/pipeline/heap-floor.js';

const read = (rel: string) => readFileSync(join(REPO, rel), 'utf8');

// ---- compose.yaml --------------------------------------------------------------------------------------

const Healthcheck = z.object({ test: z.array(z.string()).min(2), interval: z.string(), retries: z.number().int().min(1) }).passthrough();
const Service = z
  .object({
    image: z.string(),
    command: z.array(z.string()).optional(),
    environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    ports: z.array(z.string()).optional(),
    volumes: z.array(z.string()).optional(),
    healthcheck: Healthcheck,
    depends_on: z.record(z.string(), z.object({ condition: z.literal('service_healthy') })).optional(),
    deploy: z.object({ replicas: z.number().int() }).optional(),
    stop_grace_period: z.string().optional(),
  })
  .passthrough();
const Compose = z
  .object({
    services: z.object({ redis: Service, serve: Service, worker: Service }).catchall(Service),
    volumes: z.record(z.string(), z.object({}).passthrough()),
  })
  .passthrough();

describe('compose.yaml', () => {
  const compose = Compose.parse(parse(read('compose.yaml'), { merge: true }));
  const { redis, serve, worker } = compose.services;

  it('Redis keeps an append-only file on a volume and requires a password from the environment', () => {
    const cmd = redis.command!.join(' ');
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--requirepass \$\{REDIS_PASSWORD:\?[^}]+\}/);
    expect(redis.volumes).toContainEqual(expect.stringMatching(/^redis-data:\/data$/));
    expect(redis.healthcheck.test.join(' ')).toContain('ping');
    expect(redis.environment?.REDISCLI_AUTH).toBe('${REDIS_PASSWORD:?set REDIS_PASSWORD}');
  });

  it('one serve reachable from the host, N workers, all on the password-protected Redis, all health-checked', () => {
    expect(serve.command?.[0]).toBe('serve');
    expect(worker.command?.[0]).toBe('worker');
    expect(serve.ports).toContain('8080:8080');
    expect(serve.environment?.PATROL_HOST).toBe('0.0.0.0');
    expect(serve.deploy?.replicas ?? 1).toBe(1);
    expect(worker.deploy!.replicas).toBeGreaterThanOrEqual(2);
    expect(worker.stop_grace_period).toMatch(/^\d+s$/);
    for (const s of [serve, worker]) {
      expect(String(s.environment?.REDIS_URL)).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD[^}]*\}@redis:6379$/);
      expect(s.healthcheck.test.join(' ')).toContain('/healthz');
      expect(s.depends_on?.redis?.condition).toBe('service_healthy');
      // Evidence is shared between the workers that write it and the server that shows it.
      expect(s.volumes).toContain('evidence:/app/var/evidence');
    }
    expect(serve.volumes).toContain('review-data:/app/var');
  });

  it('every named volume a service mounts is declared', () => {
    const used = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!).filter((v) => !v.startsWith('.') && !v.startsWith('/')));
    for (const v of used) expect(Object.keys(compose.volumes)).toContain(v);
  });

  it('validates with docker compose when docker is installed', () => {
    let docker = true;
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    } catch {
      docker = false;
    }
    if (!docker) {
      console.warn('[deploy-manifests] docker compose not installed: schema checks only');
      return;
    }
    execFileSync('docker', ['compose', '-f', join(REPO, 'compose.yaml'), 'config', '-q'], { env: { ...process.env, REDIS_PASSWORD: 'x' }, stdio: 'pipe' });
  });
});

// ---- deploy/k8s -----------------------------------------------------------------------------------------

const Labels = z.record(z.string(), z.string());
const Probe = z.object({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }) }).passthrough();
const ExecProbe = z.object({ exec: z.object({ command: z.array(z.string()) }) }).passthrough();
const EnvVar = z
  .object({
    name: z.string(),
    value: z.string().optional(),
    valueFrom: z
      .object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }).optional(), fieldRef: z.object({ fieldPath: z.string() }).optional() })
      .optional(),
  })
  .strict();
const Quantity = z.union([z.string(), z.number()]);
const Container = z
  .object({
    name: z.string(),
    image: z.string(),
    args: z.array(z.string()).optional(),
    command: z.array(z.string()).optional(),
    env: z.array(EnvVar).optional(),
    ports: z.array(z.object({ name: z.string(), containerPort: z.number().int() })),
    livenessProbe: z.union([Probe, ExecProbe]),
    readinessProbe: z.union([Probe, ExecProbe]),
    startupProbe: Probe.optional(),
    resources: z.object({ requests: z.object({ cpu: Quantity, memory: Quantity }), limits: z.object({ memory: Quantity }).passthrough() }),
    volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() })).optional(),
    securityContext: z.object({ allowPrivilegeEscalation: z.literal(false) }).passthrough(),
  })
  .passthrough();
const PodTemplate = z.object({
  metadata: z.object({ labels: Labels }),
  spec: z
    .object({
      securityContext: z.object({ runAsNonRoot: z.literal(true) }).passthrough(),
      containers: z.array(Container).min(1),
      volumes: z.array(z.object({ name: z.string() }).passthrough()).optional(),
    })
    .passthrough(),
});
const Meta = z.object({ name: z.string(), labels: Labels.optional(), annotations: Labels.optional() });
const Deployment = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: Meta,
  spec: z.object({ replicas: z.number().int().min(1), selector: z.object({ matchLabels: Labels }), template: PodTemplate }).passthrough(),
});
const StatefulSet = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('StatefulSet'),
  metadata: Meta,
  spec: z
    .object({ serviceName: z.string(), replicas: z.number().int(), selector: z.object({ matchLabels: Labels }), template: PodTemplate, volumeClaimTemplates: z.array(z.object({}).passthrough()).min(1) })
    .passthrough(),
});
const ServiceK = z.object({ apiVersion: z.literal('v1'), kind: z.literal('Service'), metadata: Meta, spec: z.object({ selector: Labels, ports: z.array(z.object({}).passthrough()) }).passthrough() });
const Pdb = z.object({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata: Meta,
  spec: z.object({ maxUnavailable: z.number().int().optional(), minAvailable: z.number().int().optional(), selector: z.object({ matchLabels: Labels }) }),
});
const Pvc = z.object({ apiVersion: z.literal('v1'), kind: z.literal('PersistentVolumeClaim'), metadata: Meta, spec: z.object({ accessModes: z.array(z.string()) }).passthrough() });
const Resource = z.discriminatedUnion('kind', [Deployment, StatefulSet, ServiceK, Pdb, Pvc]);
type Resource = z.infer<typeof Resource>;

const K8S = 'deploy/k8s';

function manifests(): Resource[] {
  const out: Resource[] = [];
  for (const file of readdirSync(join(REPO, K8S)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(read(`${K8S}/${file}`))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const parsed = Resource.safeParse(doc.toJS());
      if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      out.push(parsed.data);
    }
  }
  return out;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Kubernetes quantities: `900m`, `2`, `2Gi`, `512Mi`. */
function cpuMillis(q: string | number): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}
function memoryMiB(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(String(q));
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe('deploy/k8s', () => {
  const all = manifests();
  const byKind = <K extends Resource['kind']>(kind: K) => all.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);
  const deployments = byKind('Deployment');
  const serve = deployments.find((d) => d.metadata.name === 'patrol-serve')!;
  const worker = deployments.find((d) => d.metadata.name === 'patrol-worker')!;

  it('kustomization lists every manifest file', () => {
    const k = parse(read(`${K8S}/kustomization.yaml`)) as { resources: string[] };
    const files = readdirSync(join(REPO, K8S)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...k.resources].sort()).toEqual(files.sort());
  });

  it('has a Redis StatefulSet with AOF, a password from a Secret and a persistent volume', () => {
    const redis = byKind('StatefulSet').find((s) => s.metadata.name === 'patrol-redis')!;
    expect(redis).toBeDefined();
    const c = redis.spec.template.spec.containers[0]!;
    const cmd = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--requirepass "$REDIS_PASSWORD"');
    expect(c.env?.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'patrol-redis', key: 'password' });
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(byKind('Service').some((s) => s.metadata.name === redis.spec.serviceName)).toBe(true);
  });

  it('serve and worker Deployments probe /healthz (liveness) and /readyz (readiness) on a declared port', () => {
    expect(serve.spec.replicas).toBe(1);
    expect((serve.spec as { strategy?: { type: string } }).strategy?.type).toBe('Recreate');
    expect(worker.spec.replicas).toBeGreaterThanOrEqual(2);
    for (const [d, role] of [[serve, 'serve'], [worker, 'worker']] as const) {
      expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      const c = d.spec.template.spec.containers[0]!;
      expect(c.args?.[0]).toBe(role);
      const live = c.livenessProbe as z.infer<typeof Probe>;
      const ready = c.readinessProbe as z.infer<typeof Probe>;
      expect(live.httpGet.path).toBe('/healthz');
      expect(ready.httpGet.path).toBe('/readyz');
      for (const p of [live, ready]) expect(c.ports.map((x) => x.name)).toContain(p.httpGet.port);
      expect(c.ports.find((p) => p.name === 'metrics')?.containerPort).toBe(9464);
      // The Redis password only by reference; the URL built from it by the kubelet.
      expect(c.env?.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.name).toBe('patrol-redis');
      expect(c.env?.find((e) => e.name === 'REDIS_URL')?.value).toBe('redis://:$(REDIS_PASSWORD)@patrol-redis:6379');
      for (const m of c.volumeMounts ?? []) expect(d.spec.template.spec.volumes?.map((v) => v.name)).toContain(m.name);
    }
    expect(serve.spec.template.spec.containers[0]!.env?.find((e) => e.name === 'PATROL_HOST')?.value).toBe('0.0.0.0');
  });

  it('a PodDisruptionBudget covers the workers; every Service selects pods that exist; PVCs the pods use exist', () => {
    const pdbs = byKind('PodDisruptionBudget');
    expect(pdbs.some((p) => matches(p.spec.selector.matchLabels, worker.spec.template.metadata.labels) && (p.spec.maxUnavailable ?? 0) >= 1)).toBe(true);
    const podLabels = [...deployments, ...byKind('StatefulSet')].map((w) => w.spec.template.metadata.labels);
    for (const s of byKind('Service')) expect(podLabels.some((l) => matches(s.spec.selector, l)), s.metadata.name).toBe(true);
    const claims = new Set(byKind('PersistentVolumeClaim').map((p) => p.metadata.name));
    for (const d of deployments) {
      for (const v of d.spec.template.spec.volumes ?? []) {
        const claim = (v as { persistentVolumeClaim?: { claimName: string } }).persistentVolumeClaim?.claimName;
        if (claim) expect(claims.has(claim), claim).toBe(true);
      }
    }
    expect(byKind('PersistentVolumeClaim').find((p) => p.metadata.name === 'patrol-evidence')?.spec.accessModes).toContain('ReadWriteMany');
  });

  it('worker requests cover bench:throughput\'s measured cost for the cameras it is sized for, without padding it twofold', () => {
    const t = JSON.parse(read('bench/results/throughput.json')) as {
      projection: { fromStages: { cpuMsPerCameraSecond: number }; fromLive: { cpuMsPerCameraSecond: number } };
      live: { privateMemoryFit: { slope: number; intercept: number } };
    };
    const cameras = Number(worker.metadata.annotations?.['patrol/cameras-per-worker']);
    expect(cameras).toBeGreaterThan(0);
    // CPU-ms per camera-second = millicores per camera.
    const cpuNeed = cameras * Math.max(t.projection.fromStages.cpuMsPerCameraSecond, t.projection.fromLive.cpuMsPerCameraSecond);
    const memNeedMiB = ((t.live.privateMemoryFit.intercept + cameras * t.live.privateMemoryFit.slope) * 1e6) / 2 ** 20;
    const { requests, limits } = worker.spec.template.spec.containers[0]!.resources;
    expect(cpuMillis(requests.cpu)).toBeGreaterThanOrEqual(cpuNeed);
    expect(cpuMillis(requests.cpu)).toBeLessThan(cpuNeed * 2);
    expect(memoryMiB(requests.memory)).toBeGreaterThanOrEqual(memNeedMiB);
    expect(memoryMiB(requests.memory)).toBeLessThan(memNeedMiB * 2);
    expect(memoryMiB(limits.memory as string)).toBeGreaterThan(memoryMiB(requests.memory));
  });
});

// ---- the container demo's config ---------------------------------------------------------------------

describe('deploy/demo-config.ts', () => {
  it('drops file cameras whose video is missing, keeps the rest and the comments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-demo-'));
    try {
      mkdirSync(join(dir, 'videos'));
      writeFileSync(join(dir, 'videos', 'a.mp4'), '');
      const text = `# demo\ncameras:\n  - id: a # kept\n    url: file://videos/a.mp4\n  - id: fire\n    url: file://videos/fire.mp4\n  - id: cam\n    url: rtsp://host/x\ndetector:\n  manifest: m.json\n`;
      const out = demoConfig(text, dir);
      expect(out.dropped).toEqual(['fire']);
      const cams = (parse(out.text) as { cameras: Array<{ id: string }> }).cameras.map((c) => c.id);
      expect(cams).toEqual(['a', 'cam']);
      expect(out.text).toContain('# kept');
      expect(() => demoConfig('cameras:\n  - { id: f, url: file://none.mp4 }\n', dir)).toThrow(/no camera/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- Dockerfile -----------------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  it('by default runs the demo on config/demo.yaml, bound to every interface, port 8080 exposed', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['run', '--config', 'config/demo.yaml']);
    expect(dockerfile).toMatch(/^ENV .*\bPATROL_HOST=0\.0\.0\.0\b/m);
    expect(dockerfile).toMatch(/^ENV .*\bPATROL_PORT=8080\b/m);
    expect(dockerfile).toMatch(/^EXPOSE .*\b8080\b/m);
  });

  it('builds the demo\'s camera videos and ships the model the demo config names', () => {
    expect(dockerfile).toMatch(/^RUN .*fixtures\/generate\.ts --quick/m);
    expect(dockerfile).toMatch(/deploy\/demo-config\.ts config\/default\.yaml config\/demo\.yaml/);
    const config = parse(read('config/default.yaml')) as { cameras: Array<{ url: string }>; detector: { manifest: string } };
    for (const c of config.cameras) expect(c.url).toMatch(/^file:\/\/\.\.\/fixtures\/generated\//);
    const manifest = join(REPO, 'config', config.detector.manifest);
    expect(existsSync(manifest)).toBe(true);
    const onnx = (JSON.parse(readFileSync(manifest, 'utf8')) as { file: string }).file;
    expect(existsSync(join(dirname(manifest), onnx))).toBe(true);
    for (const dir of ['src', 'bin', 'config', 'models', 'fixtures']) expect(dockerfile).toMatch(new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'));
    // The context keeps what the build copies.
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const needed of ['src', 'bin', 'config', 'models', 'fixtures', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(needed);
    expect(ignored).toContain('fixtures/generated');
  });

  it('starts node with the camera workers\' heap floor (a V8 flag NODE_OPTIONS cannot carry)', () => {
    const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const node = entry.indexOf('node');
    expect(node).toBeGreaterThanOrEqual(0);
    expect(entry.slice(node + 1, entry.indexOf('bin/patrol.js'))).toContain(HEAP_FLOOR_FLAG);
  });
});
