/** An ensemble's plan from a preset and overrides: one job configuration per member, as ensemble.json records it. */
import type { JobConfig } from '../jobs/config.ts';
import { defaultSwaStart, JobSetupError, snapshotConfig } from '../jobs/job.ts';
import type { EnsembleManifest, EnsembleMember, EnsembleMethod, EnsembleRunPlan } from './manifest.ts';
import { ensemblePresets, type EnsemblePreset, type EnsemblePresetName } from './presets.ts';

/** What may override a preset (any job field), plus the member count and the architectures used in turn. */
export type EnsembleOverrides = Partial<Omit<EnsemblePreset, 'description'>> & Partial<Pick<JobConfig, 'hidden' | 'maxLoss' | 'validation' | 'labelSmoothing'>> & {
  /** How members are made (default ['independent']): see planMethods. */
  readonly method?: readonly EnsembleMethod[];
  /** With snapshot: independent warm-restarts runs, each yielding `members` snapshots (default 1). */
  readonly runs?: number;
  /** With swa: the first epoch of the averaging window (default: defaultSwaStart). */
  readonly swaStart?: number;
};

/** The manifest of K members: member i uses models[i mod len], everything else from the overrides or the preset. */
export const planEnsemble = (presetName: EnsemblePresetName, seed: number, overrides: EnsembleOverrides = {}): EnsembleManifest => {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<EnsemblePreset>;
  const p: EnsemblePreset = { ...ensemblePresets[presetName], ...given };
  if (p.models.length === 0) throw new Error('planEnsemble: give at least one model');
  const method = overrides.method ?? ['independent'];
  const configOf = (index: number): JobConfig => ({
    model: p.models[index % p.models.length], hidden: overrides.hidden ?? [100], optimizer: p.optimizer, lr: p.lr,
    schedule: p.schedule, batchSize: p.batchSize, epochs: p.epochs, weightDecay: p.weightDecay, dataset: p.dataset,
    augment: p.augment, trainEvalLimit: p.trainEvalLimit, maxLoss: overrides.maxLoss,
    validation: overrides.validation, labelSmoothing: overrides.labelSmoothing,
  });
  if (method.length === 1 && method[0] === 'independent') {
    if (overrides.runs !== undefined) throw new JobSetupError('--runs applies to --method snapshot (independent members are --members runs)');
    if (overrides.swaStart !== undefined) throw new JobSetupError('--swa-start needs --method swa');
    // today's manifest, field for field
    return { format: 'tenfold-ensemble', version: 1, seed, members: Array.from({ length: p.members }, (_, index) => ({ index, dir: `member-${index + 1}`, config: configOf(index) })) };
  }
  return planMethods(seed, method, p, overrides, configOf);
};

/**
 * Members from runs: `snapshot` makes `runs` warm-restarts runs of `members` cycles each (every
 * cycle's end a member; epochs a multiple of the cycles); `swa` adds each run's SWA model; with
 * `independent,swa` each of `members` runs gives its final model and its SWA model; `swa` alone,
 * `members` runs' SWA models. Refuses (naming the flag) what does not fit.
 */
const planMethods = (
  seed: number, method: readonly EnsembleMethod[], p: EnsemblePreset, o: EnsembleOverrides, configOf: (index: number) => JobConfig,
): EnsembleManifest => {
  const known: readonly string[] = ['independent', 'snapshot', 'swa'];
  const unknown = method.find((m) => !known.includes(m));
  if (unknown !== undefined) throw new JobSetupError(`--method: unknown method "${unknown}" (independent|snapshot|swa, comma-separated)`);
  if (new Set(method).size !== method.length) throw new JobSetupError(`--method ${method.join(',')} names a method twice`);
  const snapshot = method.includes('snapshot');
  const swa = method.includes('swa');
  if (snapshot && method.includes('independent')) {
    throw new JobSetupError('--method independent,snapshot: the last member of a snapshot run is its final model; use --method snapshot --runs R for several runs');
  }
  if (!snapshot && o.runs !== undefined) throw new JobSetupError(`--runs applies to --method snapshot; with --method ${method.join(',')} --members is the number of runs`);
  if (!swa && o.swaStart !== undefined) throw new JobSetupError('--swa-start needs --method swa (or snapshot,swa)');
  if (snapshot && p.members < 2) throw new JobSetupError(`--method snapshot needs --members M ≥ 2 (the cycles of one run, each cycle's end a member), got ${p.members}`);
  if (snapshot && p.epochs % p.members !== 0) {
    throw new JobSetupError(`--method snapshot: --epochs ${p.epochs} must be a multiple of --members ${p.members} (each of the ${p.members} cycles ends at an epoch's end)`);
  }
  if (snapshot && o.schedule !== undefined && o.schedule !== 'warm-restarts') {
    throw new JobSetupError(`--schedule ${o.schedule}: --method snapshot trains with warm-restarts (one cosine cycle per member)`);
  }
  const runCount = snapshot ? o.runs ?? 1 : p.members;
  if (!(Number.isInteger(runCount) && runCount >= 1)) throw new JobSetupError(`--runs must be a whole number ≥ 1, got ${runCount}`);
  const runs: EnsembleRunPlan[] = Array.from({ length: runCount }, (_, index) => {
    const base = configOf(index);
    const cyclic: JobConfig = snapshot ? { ...base, schedule: 'warm-restarts', cycles: p.members } : base;
    const start = o.swaStart ?? defaultSwaStart(cyclic);
    if (swa && !(Number.isInteger(start) && start >= 1 && start <= cyclic.epochs)) throw new JobSetupError(`--swa-start ${start} must be an epoch from 1 to --epochs ${cyclic.epochs}`);
    return { index, dir: `run-${index + 1}`, config: swa ? { ...cyclic, swa: { start } } : cyclic };
  });
  const members: EnsembleMember[] = [];
  const add = (m: Omit<EnsembleMember, 'index' | 'dir'>): void => { members.push({ index: members.length, dir: `member-${members.length + 1}`, ...m }); };
  for (const r of runs) {
    const { swa: _swa, ...plain } = r.config;
    if (snapshot) for (let k = 1; k <= p.members; k++) add({ config: snapshotConfig(r.config, k), from: { run: r.index, kind: 'snapshot', cycle: k } });
    if (method.includes('independent')) add({ config: plain, from: { run: r.index, kind: 'final' } });
    if (swa) add({ config: r.config, from: { run: r.index, kind: 'swa' } });
  }
  return { format: 'tenfold-ensemble', version: 1, seed, methods: [...method], runs, members };
};
