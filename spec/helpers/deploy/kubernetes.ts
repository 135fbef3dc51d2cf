/** The Kubernetes manifests' checks: Redis and its Service, the worker Deployment, the coordinator Job, the shared claim. */
import { posix } from 'node:path';
import * as t from 'io-ts';
import { ensembleCommand } from '../../../lib/cli/commands/ensemble.ts';
import { workerCommand } from '../../../lib/cli/commands/worker.ts';
import {
  commandFlags, cpuCores, decoded, isSubset, isUnder, MIN_GRACE_SECONDS, optionValue, positiveInt, redisAddress, yamlDocuments, type DeployContract,
} from './common.ts';

const Labels = t.record(t.string, t.string);
const K8sObject = t.type({ apiVersion: t.string, kind: t.string, metadata: t.intersection([t.type({ name: t.string }), t.partial({ labels: Labels })]) });
const Container = t.intersection([t.type({ name: t.string, image: t.string }), t.partial({
  command: t.array(t.string),
  args: t.array(t.string),
  env: t.array(t.intersection([t.type({ name: t.string }), t.partial({ value: t.string })])),
  ports: t.array(t.type({ containerPort: t.number })),
  resources: t.partial({ requests: t.record(t.string, t.union([t.string, t.number])) }),
  volumeMounts: t.array(t.type({ name: t.string, mountPath: t.string })),
})]);
type Container = t.TypeOf<typeof Container>;
const PodSpec = t.intersection([t.type({ containers: t.array(Container) }), t.partial({
  volumes: t.array(t.intersection([t.type({ name: t.string }), t.partial({ persistentVolumeClaim: t.type({ claimName: t.string }) })])),
  terminationGracePeriodSeconds: t.number,
  restartPolicy: t.string,
})]);
type PodSpec = t.TypeOf<typeof PodSpec>;
const PodTemplate = t.type({ metadata: t.partial({ labels: Labels }), spec: PodSpec });
const DeploymentSpec = t.intersection([t.type({ selector: t.type({ matchLabels: Labels }), template: PodTemplate }), t.partial({ replicas: t.number })]);
const JobSpec = t.type({ template: PodTemplate });
const ServiceSpec = t.type({ selector: Labels, ports: t.array(t.intersection([t.type({ port: t.number }), t.partial({ targetPort: t.union([t.number, t.string]) })])) });
const ClaimSpec = t.type({ accessModes: t.array(t.string) });

/** The apiVersion of each kind the files may hold. */
const API_VERSIONS: Readonly<Record<string, string>> = { Deployment: 'apps/v1', Job: 'batch/v1', Service: 'v1', PersistentVolumeClaim: 'v1' };

interface Named<A> { readonly where: string; readonly name: string; readonly spec: A }

/** The Kubernetes files' problems: Redis and its Service, the worker Deployment, the coordinator Job, the shared claim. */
export const kubernetesProblems = (files: readonly { readonly file: string; readonly text: string }[], want: DeployContract): string[] => {
  const p: string[] = [];
  const deployments: Named<t.TypeOf<typeof DeploymentSpec>>[] = [];
  const jobs: Named<t.TypeOf<typeof JobSpec>>[] = [];
  const services: Named<t.TypeOf<typeof ServiceSpec>>[] = [];
  const claims: Named<t.TypeOf<typeof ClaimSpec>>[] = [];
  const add = <C extends t.Mixed>(list: Named<t.TypeOf<C>>[], codec: C, doc: unknown, where: string, name: string): void => {
    const spec = decoded(t.type({ spec: codec }).decode(doc), where, p)?.spec;
    if (spec !== undefined) list.push({ where, name, spec });
  };
  for (const { file, text } of files) {
    yamlDocuments(text, file).forEach((doc, i) => {
      const head = decoded(K8sObject.decode(doc), `${file}: document ${i + 1}`, p);
      if (head === undefined) return;
      const { kind, metadata: { name } } = head;
      const where = `${file}: ${kind} ${name}`;
      if (API_VERSIONS[kind] === undefined) { p.push(`${where}: no check knows kind ${kind} (known: ${Object.keys(API_VERSIONS).join(', ')})`); return; }
      if (head.apiVersion !== API_VERSIONS[kind]) p.push(`${where}: apiVersion ${head.apiVersion}, expected ${API_VERSIONS[kind]}`);
      if (kind === 'Deployment') add(deployments, DeploymentSpec, doc, where, name);
      if (kind === 'Job') add(jobs, JobSpec, doc, where, name);
      if (kind === 'Service') add(services, ServiceSpec, doc, where, name);
      if (kind === 'PersistentVolumeClaim') add(claims, ClaimSpec, doc, where, name);
    });
  }
  for (const d of deployments) {
    if (!isSubset(d.spec.selector.matchLabels, d.spec.template.metadata.labels)) p.push(`${d.where}: spec.selector.matchLabels does not match the pod template's labels`);
  }
  const scope = [...new Set(files.map((f) => posix.dirname(f.file)))].join(', ');
  const one = <A>(list: readonly A[], what: string): A | undefined => {
    if (list.length !== 1) p.push(`${scope}: expected one ${what}, found ${list.length}`);
    return list.length === 1 ? list[0] : undefined;
  };
  const runs = (pod: PodSpec, image: (i: string) => boolean): Container | undefined => pod.containers.find((c) => image(c.image));
  const isTenfold = (i: string): boolean => i === want.image || i.endsWith(`/${want.image}`);

  // Redis and the Service in front of it
  const redisDeployment = one(deployments.filter((d) => runs(d.spec.template.spec, (i) => /^redis:7([.-]|$)/.test(i))), 'Deployment running redis:7');
  let redisService: { name: string; port: number } | undefined;
  if (redisDeployment !== undefined) {
    const container = runs(redisDeployment.spec.template.spec, (i) => i.startsWith('redis:'));
    const argv = [...(container?.command ?? []), ...(container?.args ?? [])];
    if (optionValue(argv, '--appendonly') !== 'yes') p.push(`${redisDeployment.where}: expected --appendonly yes in the redis container's args, got "${argv.join(' ')}"`);
    const service = one(services.filter((s) => isSubset(s.spec.selector, redisDeployment.spec.template.metadata.labels)), `Service selecting the pods of ${redisDeployment.name}`);
    const containerPorts = (container?.ports ?? []).map((c) => c.containerPort);
    const port = service?.spec.ports.find((sp) => containerPorts.includes(Number(sp.targetPort ?? sp.port)));
    if (service !== undefined && port === undefined) {
      p.push(`${service.where}: no port whose targetPort is a containerPort of redis (${containerPorts.join(', ') || 'none declared'})`);
    }
    if (service !== undefined && port !== undefined) redisService = { name: service.name, port: port.port };
  }

  // the worker Deployment and the coordinator Job: the image's entrypoint is tenfold, so args only
  const tenfoldContainer = (where: string, pod: PodSpec): Container | undefined => {
    const c = runs(pod, isTenfold);
    if (c?.command !== undefined) p.push(`${where}: container ${c.name} sets command, which replaces the image's ENTRYPOINT tenfold: pass args only`);
    return c;
  };
  const worker = one(deployments.filter((d) => runs(d.spec.template.spec, isTenfold) !== undefined), `Deployment running ${want.image}`);
  const coordinator = one(jobs.filter((j) => runs(j.spec.template.spec, isTenfold) !== undefined), `Job running ${want.image}`);
  const workerPod = worker?.spec.template.spec;
  const workerContainer = worker === undefined || workerPod === undefined ? undefined : tenfoldContainer(worker.where, workerPod);
  const coordinatorPod = coordinator?.spec.template.spec;
  const coordinatorContainer = coordinator === undefined || coordinatorPod === undefined ? undefined : tenfoldContainer(coordinator.where, coordinatorPod);

  let queue: string | undefined;
  if (worker !== undefined && workerPod !== undefined && workerContainer !== undefined) {
    const wf = commandFlags(`${worker.where}: args`, workerContainer.args ?? [], workerCommand, p);
    queue = wf?.queue;
    const address = wf === undefined ? undefined : redisAddress(`${worker.where}: args`, wf.queue, p);
    if (address !== undefined && redisService !== undefined
      && ((address.host !== redisService.name && !address.host.startsWith(`${redisService.name}.`)) || address.port !== redisService.port)) {
      p.push(`${worker.where}: --queue ${wf?.queue} does not name the Redis Service ${redisService.name}:${redisService.port}`);
    }
    const grace = workerPod.terminationGracePeriodSeconds;
    if (grace === undefined || grace < MIN_GRACE_SECONDS) {
      p.push(`${worker.where}: terminationGracePeriodSeconds: expected ≥ ${MIN_GRACE_SECONDS} (a step and a checkpoint after SIGTERM), got ${grace ?? 'none'}`);
    }
    const replicas = worker.spec.replicas;
    if (replicas === undefined || !Number.isInteger(replicas) || replicas < 1) p.push(`${worker.where}: replicas: expected a count of workers, got ${replicas ?? 'none'}`);
    const threads = positiveInt(workerContainer.env?.find((e) => e.name === 'TENFOLD_THREADS')?.value);
    const cpu = workerContainer.resources?.requests?.cpu;
    const cores = cpu === undefined ? undefined : cpuCores(cpu);
    if (cores === undefined || cores < 1) p.push(`${worker.where}: resources.requests.cpu: expected at least one core, got ${cpu ?? 'none'}`);
    if (threads === undefined || (cores !== undefined && threads > Math.max(1, Math.floor(cores)))) {
      p.push(`${worker.where}: env TENFOLD_THREADS: expected a count of threads no larger than the cores requested (${cpu ?? 'none'}), got ${threads ?? 'nothing'}`);
    }
  }
  if (coordinator !== undefined && coordinatorPod !== undefined && coordinatorContainer !== undefined) {
    const cf = commandFlags(`${coordinator.where}: args`, coordinatorContainer.args ?? [], ensembleCommand, p);
    if (cf !== undefined && queue !== undefined && cf.queue !== queue) p.push(`${coordinator.where}: --queue ${cf.queue ?? '(none)'}, but the workers take members from ${queue}`);
    if (cf !== undefined && (cf.out === undefined || !isUnder(cf.out, want.sharedPath))) {
      p.push(`${coordinator.where}: --out ${cf.out ?? '(none)'} is not under the shared ${want.sharedPath}`);
    }
    if (!['Never', 'OnFailure'].includes(coordinatorPod.restartPolicy ?? '')) {
      p.push(`${coordinator.where}: restartPolicy: expected Never or OnFailure, got ${coordinatorPod.restartPolicy ?? 'none'}`);
    }
  }

  // the shared claim: mounted at the same path in both, ReadWriteMany
  const sharedClaim = (where: string, pod: PodSpec | undefined, c: Container | undefined): string | undefined => {
    if (pod === undefined || c === undefined) return undefined;
    const mount = c.volumeMounts?.find((m) => m.mountPath === want.sharedPath);
    const claim = pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
    if (claim === undefined) p.push(`${where}: no PersistentVolumeClaim mounted at ${want.sharedPath} (--out must be shared)`);
    return claim;
  };
  const workerClaim = sharedClaim(worker?.where ?? 'worker', workerPod, workerContainer);
  const coordinatorClaim = sharedClaim(coordinator?.where ?? 'coordinator', coordinatorPod, coordinatorContainer);
  if (workerClaim !== undefined && coordinatorClaim !== undefined && workerClaim !== coordinatorClaim) {
    p.push(`${scope}: the worker mounts claim ${workerClaim} at ${want.sharedPath} and the coordinator ${coordinatorClaim}: they must share one`);
  }
  for (const name of new Set([workerClaim, coordinatorClaim].filter((c) => c !== undefined))) {
    const claim = claims.find((c) => c.name === name);
    if (claim === undefined) p.push(`${scope}: no PersistentVolumeClaim ${name} in the files`);
    else if (!claim.spec.accessModes.includes('ReadWriteMany')) {
      p.push(`${claim.where}: accessModes: expected ReadWriteMany (every worker mounts it), got ${claim.spec.accessModes.join(', ')}`);
    }
  }
  return p;
};
