/**
 * A reward model that weighs LLM-judge traits (the lexical ones plus HAL's 16 statements), fitted on the
 * real Turing games and HAL's judge ratings in shared/data: what a user's "combined" model is. Used by
 * the integration and UI tests of judge traits in the editor.
 */
import { join } from 'node:path';
import { RatingsTable } from '../../src/core/judge/ratings';
import { HAL16, judgeTraitId } from '../../src/core/judge/traits';
import { saveSpec } from '../../src/core/reward/model';
import { collectComparisons, fitReward } from '../../src/core/reward/train';
import { TRAIT_IDS } from '../../src/core/traits/catalog';

export async function saveJudgeRewardModel(file: string, sharedData: string): Promise<void> {
  const ratings = await RatingsTable.load([join(sharedData, 'turing', 'judge_ratings.dev.jsonl')]);
  const comparisons = await collectComparisons([join(sharedData, 'turing', 'games.dev.jsonl')], { judgeRatings: ratings });
  const { spec } = fitReward(comparisons, { traits: [...TRAIT_IDS, ...HAL16.map(judgeTraitId)], folds: 2 });
  await saveSpec(spec, file);
}
