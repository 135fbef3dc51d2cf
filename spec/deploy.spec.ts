/**
 * The deployment files (deploy/: Dockerfile, docker-compose.yml, kubernetes/): no container engine
 * or cluster runs here, so they are parsed and checked against each other, against package.json
 * and against the real flags of `tenfold worker` and `tenfold ensemble`; broken copies show that
 * each check can fail.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import { decodeOrThrow } from '../lib/decode.ts';
import { cpuCores, durationSeconds, yamlDocuments, type DeployContract } from './helpers/deploy/common.ts';
import { composeProblems } from './helpers/deploy/compose.ts';
import { dockerfileProblems } from './helpers/deploy/dockerfile.ts';
import { kubernetesProblems } from './helpers/deploy/kubernetes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const pkg = decodeOrThrow(t.type({ version: t.string, peerDependencies: t.record(t.string, t.string) }), JSON.parse(read('package.json')), 'package.json');
const want: DeployContract = {
  image: `tenfold:${pkg.version}`, dockerfile: 'deploy/Dockerfile', sharedPath: '/runs', version: pkg.version, peers: pkg.peerDependencies,
};

const DOCKERFILE = 'deploy/Dockerfile';
const COMPOSE = 'deploy/docker-compose.yml';
const KUBE_DIR = 'deploy/kubernetes';
const kubeFiles = readdirSync(join(root, KUBE_DIR)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `${KUBE_DIR}/${f}`);
const kube = (): { file: string; text: string }[] => kubeFiles.map((file) => ({ file, text: read(file) }));

/** `text` with `from` (which must occur exactly once) replaced by `to`: a broken copy of a file. */
const broken = (text: string, from: string, to: string): string => {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`"${from}" occurs ${count} times, expected once`);
  return text.replace(from, to);
};
/** The Kubernetes files with one of them broken. */
const kubeBroken = (file: string, from: string, to: string): { file: string; text: string }[] =>
  kube().map((f) => (f.file === `${KUBE_DIR}/${file}` ? { file: f.file, text: broken(f.text, from, to) } : f));

describe('deployment files (deploy/)', () => {
  describe('YAML', () => {
    it('every document of every file parses without an error or a warning, and the manifests hold what the docs say', () => {
      expect(yamlDocuments(read(COMPOSE), COMPOSE)).to.have.length(1);
      const kinds = kubeFiles.flatMap((f) => yamlDocuments(read(f), f).map((d) => (d as { kind?: unknown }).kind)).sort();
      expect(kinds).to.deep.equal(['Deployment', 'Deployment', 'Job', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'Service']);
    });

    it('a YAML error or a duplicate key fails the load, naming the file and the document', () => {
      expect(() => yamlDocuments('a: 1\n---\nb: [1, 2\n', 'x.yaml')).to.throw(/^x\.yaml: YAML document 2: /);
      expect(() => yamlDocuments('a: 1\na: 2\n', 'y.yaml')).to.throw(/^y\.yaml: YAML document 1: .*unique/i);
    });

    it('durations and CPU quantities are read as compose and Kubernetes read them', () => {
      expect([durationSeconds('30s'), durationSeconds('1m30s'), durationSeconds('1500ms'), durationSeconds('30'), durationSeconds('3 s')])
        .to.deep.equal([30, 90, 1.5, undefined, undefined]);
      expect([cpuCores('1'), cpuCores(2), cpuCores('500m'), cpuCores('one')]).to.deep.equal([1, 2, 0.5, undefined]);
    });
  });

  describe('the Dockerfile', () => {
    const text = read(DOCKERFILE);
    it('builds from node:20 slim, installs the npm pack tarball and the peers at package.json\'s ranges, runs tenfold as a non-root user', () => {
      expect(dockerfileProblems(text, DOCKERFILE, want)).to.deep.equal([]);
    });

    it('each check fails on a broken copy', () => {
      const problems = (from: string, to: string): string[] => dockerfileProblems(broken(text, from, to), DOCKERFILE, want);
      expect(problems('USER node', 'USER root')).to.have.members([`${DOCKERFILE}: USER: expected a user that is not root, got root`]);
      expect(problems('ENTRYPOINT ["tenfold"]', 'ENTRYPOINT tenfold')).to.satisfy((p: string[]) => p.length === 1 && p[0].includes('exec form'));
      expect(problems('ENTRYPOINT ["tenfold"]', 'ENTRYPOINT ["node"]')).to.have.length(1);
      expect(problems(`ARG TENFOLD_VERSION=${pkg.version}`, 'ARG TENFOLD_VERSION=0.0.1').join()).to.match(/ARG TENFOLD_VERSION: expected the package's version/);
      expect(problems(`bullmq@${pkg.peerDependencies.bullmq}`, 'bullmq@^1.0.0').join()).to.include(`expected bullmq@${pkg.peerDependencies.bullmq}`);
      expect(problems('chown node:node /runs', 'chown node:node /data').join()).to.include('/runs is not made and chowned to node');
      expect(problems('FROM node:20-bookworm-slim', 'FROM node:18').join()).to.include('FROM: expected node:20');
      expect(problems('ENV TENFOLD_THREADS=1', 'ENV NODE_ENV=production').join()).to.include('TENFOLD_THREADS is not set');
    });
  });

  describe('docker compose', () => {
    const text = read(COMPOSE);
    it('redis (append-only, healthy), workers and a coordinator on one queue URL and one shared volume, with a grace period', () => {
      expect(composeProblems(text, COMPOSE, want)).to.deep.equal([]);
    });

    it('each check fails on a broken copy', () => {
      const problems = (from: string, to: string): string => composeProblems(broken(text, from, to), COMPOSE, want).join('\n');
      const workerCommand = 'command: ["worker", "--queue", "redis://redis:6379"]';
      expect(problems(workerCommand, 'command: ["worker", "--queue", "redis://cache:6379"]')).to.include('names no Redis service');
      expect(problems(workerCommand, 'command: ["worker", "--queue", "redis://redis:6380"]')).to.include('Redis listens on 6379');
      expect(problems(workerCommand, 'command: ["worker", "--queue", "redis://redis:6379", "--threads", "2"]')).to.match(/tenfold worker would refuse it: .*'--threads'/);
      expect(problems('"--preset", "default"', '"--preset", "huge"')).to.match(/tenfold ensemble would refuse it: --preset/);
      expect(problems('"--out", "/runs/e1"', '"--out", "/tmp/e1"')).to.include('--out /tmp/e1 is not under the shared /runs');
      const coordinatorQueue = '"--out", "/runs/e1", "--queue", "redis://redis:6379"';
      expect(problems(coordinatorQueue, `${coordinatorQueue.slice(0, -1)}/1"`)).to.include('but the workers take members from redis://redis:6379');
      expect(problems('stop_grace_period: 30s', 'stop_grace_period: 10s')).to.include('stop_grace_period: expected ≥ 30s');
      expect(problems('"--appendonly", "yes"', '"--appendonly", "no"')).to.include('expected --appendonly yes');
      expect(problems('  worker:\n    image: tenfold:', '  worker:\n    image: tenfold-old:')).to.include(`services.worker.image: expected ${want.image}`);
      expect(problems('      - runs:/runs\n    restart: "no"', '      - runs:/data\n    restart: "no"')).to.include('services.coordinator.volumes: no named volume at /runs');
      expect(problems('TENFOLD_THREADS: "1"', 'TENFOLD_THREAD: "1"')).to.include('TENFOLD_THREADS: expected a count of threads');
    });
  });

  describe('Kubernetes', () => {
    it('redis and its Service, a worker Deployment with a grace period and a coordinator Job, sharing a ReadWriteMany claim', () => {
      expect(kubernetesProblems(kube(), want)).to.deep.equal([]);
    });

    it('each check fails on a broken copy', () => {
      const problems = (file: string, from: string, to: string): string => kubernetesProblems(kubeBroken(file, from, to), want).join('\n');
      expect(problems('worker.yaml', 'terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 10')).to.include('terminationGracePeriodSeconds: expected ≥ 30');
      expect(problems('runs.yaml', 'accessModes: [ReadWriteMany]', 'accessModes: [ReadWriteOnce]')).to.include('accessModes: expected ReadWriteMany');
      expect(problems('redis.yaml', '    - port: 6379', '    - port: 6380')).to.include('does not name the Redis Service tenfold-redis:6380');
      expect(problems('redis.yaml', 'name: tenfold-redis # the host', 'name: redis # the host')).to.include('does not name the Redis Service redis:6379');
      expect(problems('worker.yaml', '"redis://tenfold-redis:6379"]', '"redis://tenfold-redis:6379", "--bogus"]')).to.match(/tenfold worker would refuse it: .*'--bogus'/);
      expect(problems('coordinator.yaml', 'mountPath: /runs', 'mountPath: /data')).to.include('no PersistentVolumeClaim mounted at /runs');
      expect(problems('coordinator.yaml', '"--out", "/runs/e1"', '"--out", "/data/e1"')).to.include('--out /data/e1 is not under the shared /runs');
      expect(problems('worker.yaml', 'args: ["worker"', 'command: ["tenfold"]\n          args: ["worker"')).to.include('sets command, which replaces the image\'s ENTRYPOINT');
      expect(problems('worker.yaml', 'requests: { cpu: "1"', 'requests: { cpu: "500m"')).to.include('resources.requests.cpu: expected at least one core');
      expect(problems('worker.yaml', 'matchLabels: { app: tenfold-worker }', 'matchLabels: { app: other }')).to.include('matchLabels does not match');
      expect(problems('runs.yaml', 'apiVersion: v1', 'apiVersion: v2')).to.include('apiVersion v2, expected v1');
    });
  });

  it('docs/distributed.md builds the image with the tag the files run, and applies the manifests', () => {
    const doc = read('docs/distributed.md');
    expect(doc).to.include(`docker build -t ${want.image} deploy`);
    expect(doc).to.include('kubectl apply -f deploy/kubernetes/');
    expect(doc).to.include('--scale worker=');
  });

  it('deploy/ is not shipped in the npm package', () => {
    const files = decodeOrThrow(t.type({ files: t.array(t.string) }), JSON.parse(read('package.json')), 'package.json').files;
    expect(files.filter((f) => f.startsWith('deploy'))).to.deep.equal([]);
  });
});
