/**
 * Why an op has no backprop rule, for the ops left without one on purpose: the refusal then says so instead
 * of only "no backprop rule".
 */
const REASONS: Readonly<Record<string, string>> = {
  Scan:
    'control flow: the body is a subgraph whose tensors have no probed shapes, and it is not unrolled; ' +
    'export the recurrence unrolled (or as LSTM/GRU/RNN)',
  Loop:
    'control flow: the trip count and the condition are run-time values and the body is not unrolled; ' +
    'export the loop unrolled',
  If: 'control flow: the branch is chosen at run time',
  Unique: 'moving a repeated value changes the size of the output: there is no derivative',
};

/** The refusal reason for an op without a rule. */
export function noRuleReason(opType: string): string {
  return REASONS[opType] ?? 'no backprop rule for this op';
}
