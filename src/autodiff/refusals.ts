/**
 * Why an op has no backprop rule, for the ops left without one on purpose: the refusal then says so instead
 * of only "no backprop rule".
 */
const REASONS: Readonly<Record<string, string>> = {
  // Scan, Loop and If are unrolled (unroll.ts), which gives the reason when one cannot be.
  Scan: 'control flow that could not be unrolled',
  Loop: 'control flow that could not be unrolled',
  If: 'control flow that could not be unrolled',
  Unique: 'moving a repeated value changes the size of the output: there is no derivative',
};

/** The refusal reason for an op without a rule. */
export function noRuleReason(opType: string): string {
  return REASONS[opType] ?? 'no backprop rule for this op';
}
