/** The compose file's checks: Redis, the workers, the coordinator, their shared volume and their queue. */
import { posix } from 'node:path';
import * as t from 'io-ts';
import { ensembleCommand } from '../../../lib/cli/commands/ensemble.ts';
import { workerCommand } from '../../../lib/cli/commands/worker.ts';
import {
  commandFlags, decoded, durationSeconds, isUnder, MIN_GRACE_SECONDS, optionValue, positiveInt, redisAddress, yamlDocuments, type DeployContract,
} from './common.ts';

const Argv = t.union([t.string, t.array(t.string)]);
const argvOf = (c: string | readonly string[] | undefined): readonly string[] => (c === undefined ? [] : typeof c === 'string' ? c.trim().split(/\s+/) : c);
const ComposeMount = t.union([t.string, t.intersection([t.type({ target: t.string }), t.partial({ type: t.string, source: t.string })])]);
const ComposeService = t.partial({
  image: t.string,
  build: t.union([t.string, t.partial({ context: t.string, dockerfile: t.string })]),
  command: Argv,
  environment: t.union([t.record(t.string, t.union([t.string, t.number, t.boolean, t.null])), t.array(t.string)]),
  volumes: t.array(ComposeMount),
  stop_grace_period: t.string,
  depends_on: t.union([t.array(t.string), t.record(t.string, t.partial({ condition: t.string }))]),
  deploy: t.partial({ replicas: t.number }),
  healthcheck: t.partial({ test: Argv }),
});
type ComposeService = t.TypeOf<typeof ComposeService>;
const ComposeFile = t.intersection([
  t.type({ services: t.record(t.string, ComposeService) }),
  t.partial({ volumes: t.union([t.record(t.string, t.unknown), t.null]) }),
]);

/** A service's named-volume mounts (bind mounts left out: they are not shared volumes). */
const namedMounts = (s: ComposeService): readonly { source: string; target: string }[] => (s.volumes ?? []).flatMap((v) => {
  if (typeof v !== 'string') return v.type === 'volume' && v.source !== undefined ? [{ source: v.source, target: v.target }] : [];
  const [source, target] = v.split(':');
  return target !== undefined && !/^[./~]/.test(source) ? [{ source, target }] : [];
});
const envOf = (env: ComposeService['environment'], name: string): string | undefined => {
  if (Array.isArray(env)) return env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  const v = env?.[name];
  return v === undefined || v === null ? undefined : String(v);
};
const dependsOn = (d: ComposeService['depends_on'], name: string): string | undefined => {
  if (Array.isArray(d)) return d.includes(name) ? 'service_started' : undefined;
  return d?.[name] === undefined ? undefined : d[name].condition ?? 'service_started';
};
/** The Dockerfile a service builds, relative to the repository root (the compose file's own folder is its base). */
const builtDockerfile = (file: string, b: ComposeService['build']): string | undefined => {
  if (b === undefined) return undefined;
  const [context, dockerfile] = typeof b === 'string' ? [b, 'Dockerfile'] : [b.context ?? '.', b.dockerfile ?? 'Dockerfile'];
  return posix.normalize(posix.join(posix.dirname(file), context, dockerfile));
};

/** The compose file's problems: Redis, the workers, the coordinator, their shared volume and queue. */
export const composeProblems = (text: string, file: string, want: DeployContract): string[] => {
  const p: string[] = [];
  const docs = yamlDocuments(text, file);
  if (docs.length !== 1) return [`${file}: expected one YAML document, found ${docs.length}`];
  const compose = decoded(ComposeFile.decode(docs[0]), file, p);
  if (compose === undefined) return p;
  const { services } = compose;
  const at = (name: string, field: string): string => `${file}: services.${name}.${field}`;
  const missing = ['redis', 'worker', 'coordinator'].filter((n) => services[n] === undefined);
  if (missing.length > 0) return [`${file}: no service ${missing.join(', ')} (services: ${Object.keys(services).join(', ')})`];
  const { redis, worker, coordinator } = services;

  if (!/^redis:7([.-]|$)/.test(redis.image ?? '')) p.push(`${at('redis', 'image')}: expected redis:7, got ${redis.image ?? 'none'}`);
  const redisArgv = argvOf(redis.command);
  if (optionValue(redisArgv, '--appendonly') !== 'yes') {
    p.push(`${at('redis', 'command')}: expected --appendonly yes (queued jobs survive a restart), got "${redisArgv.join(' ')}"`);
  }
  if (redis.healthcheck?.test === undefined) p.push(`${at('redis', 'healthcheck')}: missing (the others wait for service_healthy)`);
  if (!namedMounts(redis).some((m) => m.target === '/data')) p.push(`${at('redis', 'volumes')}: no named volume at /data (the append-only file)`);
  const redisPort = Number(optionValue(redisArgv, '--port') ?? 6379);

  const shared: Record<string, string | undefined> = {};
  for (const [name, s] of [['worker', worker], ['coordinator', coordinator]] as const) {
    if (s.image !== want.image) p.push(`${at(name, 'image')}: expected ${want.image} (the tag the Dockerfile is built as), got ${s.image ?? 'none'}`);
    const built = builtDockerfile(file, s.build);
    if (built !== want.dockerfile) p.push(`${at(name, 'build')}: expected a build of ${want.dockerfile}, got ${built ?? 'none'}`);
    const condition = dependsOn(s.depends_on, 'redis');
    if (condition !== 'service_healthy') p.push(`${at(name, 'depends_on')}: expected redis: { condition: service_healthy }, got ${condition ?? 'nothing'}`);
    const mount = namedMounts(s).find((m) => m.target === want.sharedPath);
    shared[name] = mount?.source;
    if (mount === undefined) p.push(`${at(name, 'volumes')}: no named volume at ${want.sharedPath} (--out must be shared)`);
    else if (!(mount.source in (compose.volumes ?? {}))) p.push(`${at(name, 'volumes')}: volume "${mount.source}" is not declared under volumes:`);
  }
  if (shared.worker !== undefined && shared.coordinator !== undefined && shared.worker !== shared.coordinator) {
    p.push(`${file}: the worker mounts volume "${shared.worker}" at ${want.sharedPath} and the coordinator "${shared.coordinator}": they must share one`);
  }

  const wf = commandFlags(at('worker', 'command'), argvOf(worker.command), workerCommand, p);
  const address = wf === undefined ? undefined : redisAddress(at('worker', 'command'), wf.queue, p);
  if (address !== undefined) {
    const redisServices = Object.keys(services).filter((n) => /^redis:/.test(services[n].image ?? ''));
    if (!redisServices.includes(address.host)) p.push(`${at('worker', 'command')}: --queue ${wf?.queue} names no Redis service (Redis services: ${redisServices.join(', ')})`);
    else if (address.port !== redisPort) p.push(`${at('worker', 'command')}: --queue ${wf?.queue}: Redis listens on ${redisPort}`);
  }
  const threads = envOf(worker.environment, 'TENFOLD_THREADS');
  if (positiveInt(threads) === undefined) p.push(`${at('worker', 'environment')}: TENFOLD_THREADS: expected a count of threads, got ${threads ?? 'nothing'}`);
  const grace = worker.stop_grace_period === undefined ? undefined : durationSeconds(worker.stop_grace_period);
  if (grace === undefined || grace < MIN_GRACE_SECONDS) {
    p.push(`${at('worker', 'stop_grace_period')}: expected ≥ ${MIN_GRACE_SECONDS}s (a step and a checkpoint after SIGTERM; `
      + `Docker's default is 10s), got ${worker.stop_grace_period ?? 'none'}`);
  }
  const replicas = worker.deploy?.replicas;
  if (replicas === undefined || !Number.isInteger(replicas) || replicas < 1) p.push(`${at('worker', 'deploy.replicas')}: expected a count of workers, got ${replicas ?? 'none'}`);

  const cf = commandFlags(at('coordinator', 'command'), argvOf(coordinator.command), ensembleCommand, p);
  if (cf !== undefined && wf !== undefined && cf.queue !== wf.queue) {
    p.push(`${at('coordinator', 'command')}: --queue ${cf.queue ?? '(none)'}, but the workers take members from ${wf.queue}`);
  }
  if (cf !== undefined && (cf.out === undefined || !isUnder(cf.out, want.sharedPath))) {
    p.push(`${at('coordinator', 'command')}: --out ${cf.out ?? '(none)'} is not under the shared ${want.sharedPath}`);
  }
  return p;
};
