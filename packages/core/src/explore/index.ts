export { POINTS, POINT_NAMES, type PointName, type PointInfo, type PointDef, type Held } from './points.js';
export { ACTOR_NAMES, ACTOR_DOCS, type ActorName } from './actors.js';
export { Explorer, type Decision, type Step, type Applied } from './explorer.js';
export {
  canonicalRun, planFor, runDecisions, findingKey, exploreSchedules,
  type Canonical, type ScheduleRunner, type ScheduleOutcome, type Finding, type ExploreResult, type ExploreOptions,
} from './schedule.js';
