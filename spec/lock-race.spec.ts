/**
 * claimDirectory under a real race: 4 long-lived processes claim one directory at the same
 * wall-clock instant, 300 rounds, over a free directory, a stale claim (a dead pid of this host, in
 * the old plain form and the JSON form) and a garbage file. Every round must have exactly one
 * winner; every loser must be refused naming the directory and the winner, with no other error.
 * Set TENFOLD_LOCK_UNDER_TEST to another lock module's path to check that this spec catches it.
 */
import { expect } from 'chai';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE } from '../lib/jobs/lock.ts';
import type { FromClaimer, ToClaimer } from './helpers/lock-claimer.ts';

const CLAIMER = fileURLToPath(new URL('./helpers/lock-claimer.ts', import.meta.url));
const CLAIMERS = 4;
const ROUNDS = 300;
/** Time for the `claim` message to reach every claimer before they start together. */
const LEAD_MS = 15;
const GARBAGE = ['', 'garbage', '{"pid":', '\0\0\0\0', '{"pid":0,"host":"x"}', '-5', '[]'];

/** A forked claimer and the messages it has sent that nobody has taken yet. */
class Claimer {
  readonly child: ChildProcess;
  private readonly inbox: FromClaimer[] = [];
  private waiting: { resolve: (m: FromClaimer) => void; reject: (e: Error) => void } | undefined;
  private gone: string | undefined;

  constructor(lockModule: string | undefined) {
    this.child = fork(CLAIMER, lockModule === undefined ? [] : [lockModule],
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromClaimer) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w === undefined) this.inbox.push(m);
      else w.resolve(m);
    });
    this.child.on('exit', (code, signal) => {
      this.gone = `claimer ${this.child.pid} exited (${code ?? signal})`;
      this.waiting?.reject(new Error(this.gone));
    });
  }

  send(m: ToClaimer): void { this.child.send(m); }

  next(): Promise<FromClaimer> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.gone !== undefined) return Promise.reject(new Error(this.gone));
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; });
  }

  kill(): void {
    this.child.removeAllListeners('exit'); // nothing waits any more
    this.child.kill('SIGKILL');
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid of a process of this host that has exited. */
const deadPid = (): number => {
  const pid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  expect(pid).to.be.above(0);
  return pid;
};

type Kind = 'free' | 'stale pid' | 'stale claim' | 'garbage';
const kindOf = (round: number): Kind => (['free', 'stale pid', 'free', 'stale claim', 'free', 'garbage'] as const)[round % 6];

describe('claimDirectory raced by 4 processes', function () {
  this.timeout(30_000);
  let root: string;
  let claimers: Claimer[] = [];
  before(() => { root = mkdtempSync(join(tmpdir(), 'tenfold-lock-race-')); });
  after(() => {
    for (const c of claimers) c.kill();
    claimers = [];
    rmSync(root, { recursive: true, force: true });
  });

  it(`gives exactly one the lock in each of ${ROUNDS} rounds (100 over a stale claim, 50 over garbage), refusing the others by name`, async () => {
    claimers = Array.from({ length: CLAIMERS }, () => new Claimer(process.env.TENFOLD_LOCK_UNDER_TEST));
    const pids = await Promise.all(claimers.map(async (c) => {
      const m = await c.next();
      if (m.type !== 'ready') throw new Error(`claimer sent ${m.type} before ready`);
      return m.pid;
    }));
    const dir = join(root, 'run');
    mkdirSync(dir);

    let dead = deadPid();
    const problems: string[] = [];
    const failed = new Map<Kind, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const kind = kindOf(round);
      if (kind !== 'free' && kind !== 'garbage' && isAlive(dead)) dead = deadPid(); // its pid was reused
      const lock = join(dir, LOCK_FILE);
      if (kind === 'stale pid') writeFileSync(lock, `${dead}\n`);
      if (kind === 'stale claim') {
        writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'f'.repeat(32), startedAt: new Date().toISOString() }));
      }
      if (kind === 'garbage') writeFileSync(lock, GARBAGE[round % GARBAGE.length]);

      const goAt = Date.now() + LEAD_MS;
      const replies = claimers.map((c) => c.next());
      for (const c of claimers) c.send({ type: 'claim', dir, goAt });
      const results = await Promise.all(replies);

      const here: string[] = [];
      const winners = results.flatMap((r, i) => (r.type === 'won' ? [i] : []));
      if (winners.length !== 1) here.push(`${winners.length} winners`);
      for (const r of results) {
        if (r.type === 'won') continue;
        if (r.type !== 'threw') here.push(`unexpected ${r.type}`);
        else if (winners.length !== 1 || !r.message.includes(dir) || !r.message.includes(`in use by process ${pids[winners[0]]}`)) {
          here.push(r.stack);
        }
      }
      for (const i of winners) {
        const done = claimers[i].next();
        claimers[i].send({ type: 'release' });
        const r = await done;
        if (r.type !== 'released') here.push(`release answered ${r.type}`);
      }
      const left = readdirSync(dir);
      if (left.length > 0) here.push(`left behind: ${left.join(', ')}`);
      for (const f of left) rmSync(join(dir, f), { force: true });

      if (here.length > 0) {
        failed.set(kind, (failed.get(kind) ?? 0) + 1);
        problems.push(`round ${round} (${kind}): ${here.join('; ')}`);
      }
    }
    const summary = [...failed].map(([k, n]) => `${n} ${k}`).join(', ');
    expect(problems, `${problems.length} of ${ROUNDS} rounds failed (${summary}):\n${problems.slice(0, 5).join('\n')}`).to.deep.equal([]);
  });
});
