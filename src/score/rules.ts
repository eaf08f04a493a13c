import { DEFAULT_RULES, type PatrolConfig, type RuleConfig } from '../config/schema.js';
import type { ViolationType } from '../contracts/violation.js';

export type Rules = Readonly<Record<ViolationType, RuleConfig>>;

/** The configured rules with the defaults filled in for every violation type the file leaves out. */
export function resolveRules(configured: PatrolConfig['rules'] | undefined): Rules {
  return {
    stall: configured?.stall ?? DEFAULT_RULES.stall,
    dumping: configured?.dumping ?? DEFAULT_RULES.dumping,
    burning: configured?.burning ?? DEFAULT_RULES.burning,
  };
}

/**
 * The score a detection of `label` needs under `rule`: the per-class threshold, else the rule's
 * minScore, else 0 because the detector has already applied the manifest's per-class threshold.
 */
export function scoreThreshold(rule: RuleConfig, label: string): number {
  return rule.classScores[label] ?? rule.minScore ?? 0;
}
