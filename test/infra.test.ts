import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, findModelSpec, parseModelsFile, type ModelSpec } from '@spool/shared';

const SETTINGS = new Set(Object.keys(configSchema.shape));
// Passed through to the vLLM process the worker spawns; vLLM reads them, Spool does not.
const FOR_VLLM = new Set(['HF_TOKEN']);

type Container = { args?: string[]; env?: { name: string; value?: string }[]; envFrom?: { configMapRef?: { name: string } }[]; resources?: { limits?: Record<string, unknown> } };
type Manifest = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: { template?: { spec?: { containers?: Container[] } } } };

const compose = parse(readFileSync('infra/docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; deploy?: { resources?: { reservations?: { devices?: { device_ids?: string[] }[] } } } }>;
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
      for (const source of container.envFrom!) expect(manifests.some((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === source.configMapRef?.name)).toBe(true);
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
    expect(specs.filter((spec) => spec.engine === 'vllm').every((spec) => workers.some((worker) => worker.env?.some((entry) => entry.value === spec.id)))).toBe(true);
  });
});
