/** An ensemble's plan from a preset and overrides: one job configuration per member, as ensemble.json records it. */
import type { JobConfig } from '../jobs/config.ts';
import type { EnsembleManifest } from './manifest.ts';
import { ensemblePresets, type EnsemblePreset, type EnsemblePresetName } from './presets.ts';

/** What may override a preset (any job field), plus the member count and the architectures used in turn. */
export type EnsembleOverrides = Partial<Omit<EnsemblePreset, 'description'>> & Partial<Pick<JobConfig, 'hidden' | 'maxLoss' | 'validation' | 'labelSmoothing'>>;

/** The manifest of K members: member i uses models[i mod len], everything else from the overrides or the preset. */
export const planEnsemble = (presetName: EnsemblePresetName, seed: number, overrides: EnsembleOverrides = {}): EnsembleManifest => {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<EnsemblePreset>;
  const p: EnsemblePreset = { ...ensemblePresets[presetName], ...given };
  if (p.models.length === 0) throw new Error('planEnsemble: give at least one model');
  return {
    format: 'tenfold-ensemble', version: 1, seed,
    members: Array.from({ length: p.members }, (_, index) => ({
      index, dir: `member-${index + 1}`,
      config: {
        model: p.models[index % p.models.length], hidden: overrides.hidden ?? [100], optimizer: p.optimizer, lr: p.lr,
        schedule: p.schedule, batchSize: p.batchSize, epochs: p.epochs, weightDecay: p.weightDecay, dataset: p.dataset,
        augment: p.augment, trainEvalLimit: p.trainEvalLimit, maxLoss: overrides.maxLoss,
        validation: overrides.validation, labelSmoothing: overrides.labelSmoothing,
      },
    })),
  };
};
