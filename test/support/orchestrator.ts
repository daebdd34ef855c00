// The orchestrator (functions/orchestrator) over a test file's dynalite, as most orchestrator tests build it: the
// state store and approvals table there, the scripted planner, a recording bus and a silent logger, unless given.
import { createOrchestrator, type OrchestratorDeps } from '../../functions/orchestrator/app.js';
import { recordingBus } from './approvals.js';
import type { TestDynamo } from './dynamo.js';
import { silentLogger, testStore } from './execution.js';
import { scriptedPlanner } from './scripted-planner.js';

export function testOrchestrator(dynamo: TestDynamo, deps: Partial<OrchestratorDeps> = {}): ReturnType<typeof createOrchestrator> {
  return createOrchestrator({
    store: testStore(dynamo),
    planner: scriptedPlanner,
    publisher: recordingBus(),
    logger: silentLogger(),
    db: dynamo.doc,
    approvalsTable: dynamo.tables.APPROVALS_TABLE,
    ...deps,
  });
}
