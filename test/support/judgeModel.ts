/**
 * A reward model that weighs LLM-judge traits (the lexical ones plus HAL's 16 statements), fitted on the
 * real Turing games and HAL's judge ratings in shared/data: what a user's "combined" model is. Used by
 * the unit, integration and UI tests of judge traits.
 */
import { join } from 'node:path';
import { RatingsTable } from '../../src/core/judge/ratings';
import { HAL16, judgeTraitId } from '../../src/core/judge/traits';
import { saveSpec } from '../../src/core/reward/model';
import type { RewardSpec } from '../../src/core/reward/onnx';
import { collectComparisons, fitReward } from '../../src/core/reward/train';
import { TRAIT_IDS } from '../../src/core/traits/catalog';

/** The combined model fitted on the Turing `games` file with `ratings` (2 folds: the tests need the weights, not the figures). */
export async function fitJudgeSpec(games: string, ratings: RatingsTable): Promise<RewardSpec> {
  return fitReward(await collectComparisons([games], { judgeRatings: ratings }), { traits: [...TRAIT_IDS, ...HAL16.map(judgeTraitId)], folds: 2 }).spec;
}

export async function saveJudgeRewardModel(file: string, sharedData: string): Promise<void> {
  const ratings = await RatingsTable.load([join(sharedData, 'turing', 'judge_ratings.dev.jsonl')]);
  await saveSpec(await fitJudgeSpec(join(sharedData, 'turing', 'games.dev.jsonl'), ratings), file);
}
