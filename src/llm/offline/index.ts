/** The offline LLM provider's public API. */
export { startOfflineProvider, DEFAULT_SEED, type OfflineProvider, type OfflineProviderOptions } from './server';
export {
  FaultRuleSchema,
  FaultRulesSchema,
  FaultMatchSchema,
  FAULT_KINDS,
  FAULTS_ENV,
  loadFaultsFromEnv,
  parseFaultRules,
  type FaultKind,
  type FaultMatch,
  type FaultRule,
} from './faults';
export type { CallRecord } from './calls';
export { LatencySchema } from './admin';
export { composeAnswer, type AnswerInput } from './answers';
export {
  ScenarioSchema,
  ScenarioRuleSchema,
  SCENARIO_ENV,
  loadScenarioFromEnv,
  parseScenario,
  type Scenario,
  type ScenarioRule,
} from './scenario';
