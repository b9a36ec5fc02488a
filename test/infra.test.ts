import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, findModelSpec, parseModelsFile, type ModelSpec } from '@spool/shared';
import { VLLM_STOP_GRACE_MS } from '../apps/worker/src/engines/vllm-process.js';

const SETTINGS = new Set(Object.keys(configSchema.shape));
// Passed through to the vLLM process the worker spawns; vLLM reads them, Spool does not.
const FOR_VLLM = new Set(['HF_TOKEN']);

type Probe = { httpGet?: { path: string; port: string | number }; periodSeconds?: number; failureThreshold?: number };
type Container = {
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: { limits?: Record<string, unknown> };
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
};
type PodSpec = {
  containers?: Container[];
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }[];
};
type Manifest = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: { template?: { spec?: PodSpec } };
};

const compose = parse(readFileSync('infra/docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      environment?: Record<string, string>;
      command?: string[];
      stop_grace_period?: string;
      healthcheck?: { test: string[] };
      deploy?: { resources?: { reservations?: { devices?: { device_ids?: string[] }[] } } };
    }
  >;
};
const manifests: Manifest[] = readdirSync('infra/k8s')
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(join('infra/k8s', file), 'utf8')).map((document) => document.toJS() as Manifest));
const containers = manifests.flatMap((manifest) => manifest.spec?.template?.spec?.containers ?? []);

/** The model a worker serves: `--model` in its command, else WORKER_MODEL, else the first. */
function workerModel(specs: ModelSpec[], command: string[] = [], env: Record<string, string | undefined> = {}): ModelSpec | undefined {
  const name = command.includes('--model') ? command[command.indexOf('--model') + 1] : env.WORKER_MODEL;
  return name === undefined ? specs[0] : findModelSpec(specs, name);
}

describe('deployment files', () => {
  it('docker-compose passes only settings that exist in the config schema', () => {
    const names = Object.values(compose.services).flatMap((service) => Object.keys(service.environment ?? {}));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(SETTINGS.has(name) || FOR_VLLM.has(name), `${name} is not a Spool setting`).toBe(true);
  });

  it('docker-compose workers name configured models, and the vLLM worker reserves the GPUs it pins', () => {
    const specs = parseModelsFile(readFileSync('infra/models.yaml', 'utf8'));
    const workers = Object.entries(compose.services).filter(([name]) => name.startsWith('worker'));
    expect(workers.length).toBeGreaterThanOrEqual(2);
    for (const [, service] of workers) expect(workerModel(specs, service.command?.slice(1), service.environment)).toBeDefined();
    const vllm = compose.services['worker-llama-3.1-70b'] ?? compose.services['worker-llama-70b']!;
    expect(workerModel(specs, vllm.command?.slice(1), vllm.environment)!.engine).toBe('vllm');
    const reserved = vllm.deploy!.resources!.reservations!.devices![0]!.device_ids!;
    expect(vllm.environment!.WORKER_GPUS!.split(',')).toEqual(reserved);
    expect(reserved).toHaveLength(4);
  });

  it('Kubernetes manifests pass only settings that exist in the config schema', () => {
    const configMap = manifests.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === 'spool-config')!;
    const names = [...Object.keys(configMap.data!), ...containers.flatMap((container) => (container.env ?? []).map((entry) => entry.name))];
    for (const name of names) expect(SETTINGS.has(name) || FOR_VLLM.has(name), `${name} is not a Spool setting`).toBe(true);
    for (const container of containers.filter((entry) => entry.envFrom)) {
      for (const source of container.envFrom!)
        expect(manifests.some((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === source.configMapRef?.name)).toBe(true);
    }
  });

  it('Kubernetes has an API Deployment, Service and HPA, and a GPU worker per vLLM model matching its GPU request', () => {
    const kinds = manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment/spool-api', 'Service/spool-api', 'HorizontalPodAutoscaler/spool-api']));
    const specs = parseModelsFile(manifests.find((manifest) => manifest.metadata.name === 'spool-models')!.data!['models.yaml']!);
    const workers = containers.filter((container) => container.args?.[0] === 'worker');
    for (const worker of workers) {
      const env = Object.fromEntries((worker.env ?? []).map((entry) => [entry.name, entry.value]));
      const spec = workerModel(specs, worker.args!.slice(1), env);
      expect(spec, `worker of ${env.WORKER_MODEL}`).toBeDefined();
      if (spec!.engine === 'vllm') expect(Number(worker.resources!.limits!['nvidia.com/gpu'])).toBe(env.WORKER_GPUS!.split(',').length);
    }
    expect(specs.filter((spec) => spec.engine === 'vllm').every((spec) => workers.some((worker) => worker.env?.some((entry) => entry.value === spec.id)))).toBe(
      true,
    );
  });

  const gpuPods = manifests
    .map((manifest) => manifest.spec?.template?.spec)
    .filter((pod): pod is PodSpec => !!pod?.containers?.some((container) => container.resources?.limits?.['nvidia.com/gpu'] !== undefined));
  const envOf = (container: Container) => Object.fromEntries((container.env ?? []).map((entry) => [entry.name, entry.value]));
  const seconds = (ms: string | undefined, fallback: number) => Number(ms ?? fallback) / 1000;

  it('GPU workers probe /health for start-up, readiness and liveness on the port the worker serves them on', () => {
    expect(gpuPods.length).toBeGreaterThan(0);
    for (const pod of gpuPods) {
      const worker = pod.containers![0]!;
      const env = envOf(worker);
      const port = worker.ports!.find((entry) => entry.name === worker.startupProbe!.httpGet!.port)!;
      expect(port.containerPort).toBe(Number(env.WORKER_HEALTH_PORT));
      expect(worker.startupProbe!.httpGet!.path).toBe('/health');
      expect(worker.readinessProbe!.httpGet!.path).toBe('/health');
      expect(worker.livenessProbe!.httpGet!.path).toBe('/health/live');
      // The start-up probe waits as long as the worker lets vLLM load.
      const startupWindow = worker.startupProbe!.periodSeconds! * worker.startupProbe!.failureThreshold!;
      expect(startupWindow).toBeGreaterThanOrEqual(seconds(env.VLLM_STARTUP_TIMEOUT_MS, 900_000));
    }
  });

  it('GPU workers keep the model cache on a PVC and take the HF token from a Secret', () => {
    for (const pod of gpuPods) {
      const mount = pod.containers![0]!.volumeMounts!.find((entry) => entry.mountPath === '/root/.cache/huggingface')!;
      const volume = pod.volumes!.find((entry) => entry.name === mount.name)!;
      expect(volume.emptyDir, 'the model cache must outlive the pod').toBeUndefined();
      expect(
        manifests.some((manifest) => manifest.kind === 'PersistentVolumeClaim' && manifest.metadata.name === volume.persistentVolumeClaim!.claimName),
      ).toBe(true);
      const token = pod.containers![0]!.env!.find((entry) => entry.name === 'HF_TOKEN')!;
      expect(token.value).toBeUndefined();
      const secret = manifests.find((manifest) => manifest.kind === 'Secret' && manifest.metadata.name === token.valueFrom!.secretKeyRef!.name)!;
      expect(Object.keys(secret.stringData ?? secret.data ?? {})).toContain(token.valueFrom!.secretKeyRef!.key);
    }
  });

  it("GPU workers' grace period covers Spool's drain plus vLLM's stop, in Kubernetes and Compose", () => {
    for (const pod of gpuPods) {
      const env = envOf(pod.containers![0]!);
      expect(pod.terminationGracePeriodSeconds!).toBeGreaterThanOrEqual(seconds(env.SHUTDOWN_GRACE_MS, 30_000) + VLLM_STOP_GRACE_MS / 1000);
    }
    const vllm = compose.services['worker-llama-70b']!;
    expect(Number(vllm.stop_grace_period!.replace(/s$/, ''))).toBeGreaterThanOrEqual(
      seconds(vllm.environment!.SHUTDOWN_GRACE_MS, 30_000) + VLLM_STOP_GRACE_MS / 1000,
    );
    expect(vllm.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${vllm.environment!.WORKER_HEALTH_PORT}/health`);
  });

  it("the API's and CPU workers' grace periods cover the drain (and the API pod's preStop pause), in Kubernetes and Compose", () => {
    const drain = (env: Record<string, string | undefined> = {}) => seconds(env.SHUTDOWN_GRACE_MS, 30_000);
    const pods = manifests.map((manifest) => manifest.spec?.template?.spec).filter((pod): pod is PodSpec => !!pod?.containers && !gpuPods.includes(pod));
    const api = pods.find((pod) => pod.containers![0]!.args?.[0] === 'api')!;
    const pause = api.containers![0]!.lifecycle!.preStop!.exec!.command;
    expect(pause[0]).toBe('sleep');
    expect(api.terminationGracePeriodSeconds!).toBeGreaterThan(Number(pause[1]) + drain(envOf(api.containers![0]!)));
    const workers = pods.filter((pod) => pod.containers![0]!.args?.[0] === 'worker');
    expect(workers.length).toBeGreaterThan(0);
    for (const pod of workers) {
      expect(pod.terminationGracePeriodSeconds!).toBeGreaterThan(drain(envOf(pod.containers![0]!)));
    }
    for (const name of ['api', 'worker-cpu']) {
      const service = compose.services[name]!;
      expect(Number(service.stop_grace_period!.replace(/s$/, '')), name).toBeGreaterThan(drain(service.environment));
    }
  });

  it('pins a vLLM release for the image and says which one it was tested with', () => {
    const dockerfile = readFileSync('infra/Dockerfile', 'utf8');
    const pinned = /^FROM vllm\/vllm-openai:(v\d+\.\d+\.\d+\S*) AS spool-vllm$/m.exec(dockerfile)?.[1];
    expect(pinned).toBeDefined();
    expect(dockerfile).toMatch(new RegExp(`Tested with: vllm/vllm-openai:${pinned!.replaceAll('.', '\\.')}`));
  });

  it('docs/gpu.md gives current vLLM advice', () => {
    const gpu = readFileSync('docs/gpu.md', 'utf8');
    // Prefix caching is on by default in vLLM's V1 engine.
    expect(gpu).not.toContain('--enable-prefix-caching');
    expect(readFileSync('infra/models.yaml', 'utf8')).not.toContain('--enable-prefix-caching');
    for (const words of ['--data-parallel-size', 'VLLM_HOST_IP', 'pipeline', 'NVLink', 'HF_TOKEN']) expect(gpu).toContain(words);
  });
});
