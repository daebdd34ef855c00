import { AwsError, optionalNumber, optionalString, paginate, requireString, type JsonService } from '../protocol.js';
import type { ExecutionRecord, ExecutionStatus, LocalStepFunctions } from './service.js';

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

function executionSummary(execution: ExecutionRecord) {
  return {
    executionArn: execution.arn, stateMachineArn: execution.stateMachineArn, name: execution.name,
    status: execution.status, startDate: seconds(execution.startDate), ...(execution.stopDate ? { stopDate: seconds(execution.stopDate) } : {}),
  };
}

const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** The Step Functions JSON protocol (`AWSStepFunctions.*`, application/x-amz-json-1.0). */
export function stepFunctionsApi(sfn: LocalStepFunctions): JsonService {
  return {
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    operations: {
      CreateStateMachine: (input) => {
        const type = optionalString(input, 'type');
        if (type !== undefined && type !== 'STANDARD' && type !== 'EXPRESS') throw new AwsError('ValidationException', `type ${type} is not valid`);
        const request: Parameters<LocalStepFunctions['createStateMachine']>[0] = { name: requireString(input, 'name'), definition: requireString(input, 'definition') };
        if (type) request.type = type;
        const roleArn = optionalString(input, 'roleArn');
        if (roleArn) request.roleArn = roleArn;
        const arn = sfn.createStateMachine(request, { strict: true });
        return { stateMachineArn: arn, creationDate: seconds(sfn.describeStateMachine(arn).createdTimestamp) };
      },
      UpdateStateMachine: (input) => {
        sfn.updateStateMachine(requireString(input, 'stateMachineArn'), requireString(input, 'definition'));
        return { updateDate: Date.now() / 1000 };
      },
      DeleteStateMachine: (input) => {
        sfn.deleteStateMachine(requireString(input, 'stateMachineArn'));
        return {};
      },
      ListStateMachines: (input) => {
        const { page, nextToken } = paginate(sfn.listStateMachines(), optionalString(input, 'nextToken'), optionalNumber(input, 'maxResults'));
        return {
          stateMachines: page.map((machine) => ({ stateMachineArn: machine.arn, name: machine.name, type: machine.type, creationDate: seconds(machine.createdTimestamp) })),
          ...(nextToken ? { nextToken } : {}),
        };
      },
      DescribeStateMachine: (input) => {
        const machine = sfn.describeStateMachine(requireString(input, 'stateMachineArn'));
        return {
          stateMachineArn: machine.arn, name: machine.name, status: 'ACTIVE', definition: machine.definition,
          roleArn: machine.roleArn, type: machine.type, creationDate: seconds(machine.createdTimestamp),
        };
      },
      DescribeStateMachineForExecution: (input) => {
        const execution = sfn.describeExecution(requireString(input, 'executionArn'));
        // The local state machine keeps one definition (no versions): an execution runs the one it started with
        // unless UpdateStateMachine changed it meanwhile.
        const machine = sfn.describeStateMachine(execution.stateMachineArn);
        return {
          stateMachineArn: machine.arn, name: machine.name, definition: machine.definition, roleArn: machine.roleArn,
          updateDate: seconds(machine.createdTimestamp),
        };
      },
      // Activities (workers polling GetActivityTask) are not part of the local cloud: the list is always empty.
      ListActivities: (input) => {
        const { nextToken } = paginate([], optionalString(input, 'nextToken'), optionalNumber(input, 'maxResults'));
        return { activities: [], ...(nextToken ? { nextToken } : {}) };
      },
      StartExecution: (input) => {
        const execution = sfn.startExecution(requireString(input, 'stateMachineArn'), optionalString(input, 'input') ?? '{}', optionalString(input, 'name'));
        return { executionArn: execution.arn, startDate: seconds(execution.startDate) };
      },
      DescribeExecution: (input) => {
        const execution = sfn.describeExecution(requireString(input, 'executionArn'));
        return {
          ...executionSummary(execution),
          input: execution.input, inputDetails: { included: true },
          ...(execution.output !== undefined ? { output: execution.output, outputDetails: { included: true } } : {}),
          ...(execution.error !== undefined ? { error: execution.error } : {}),
          ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
        };
      },
      ListExecutions: (input) => {
        const status = optionalString(input, 'statusFilter');
        if (status !== undefined && !STATUSES.has(status)) throw new AwsError('ValidationException', `statusFilter ${status} is not valid`);
        const executions = sfn.listExecutions(requireString(input, 'stateMachineArn'), status as ExecutionStatus | undefined);
        const { page, nextToken } = paginate(executions, optionalString(input, 'nextToken'), optionalNumber(input, 'maxResults'));
        return { executions: page.map(executionSummary), ...(nextToken ? { nextToken } : {}) };
      },
      GetExecutionHistory: (input) => {
        const execution = sfn.describeExecution(requireString(input, 'executionArn'));
        const events = sfn.history(execution).map((event) => ({ ...event, timestamp: event.timestamp / 1000 }));
        if (input.reverseOrder === true) events.reverse();
        const { page, nextToken } = paginate(events, optionalString(input, 'nextToken'), optionalNumber(input, 'maxResults'), 1000);
        return { events: page, ...(nextToken ? { nextToken } : {}) };
      },
      StopExecution: (input) => ({
        stopDate: sfn.stopExecution(requireString(input, 'executionArn'), optionalString(input, 'error'), optionalString(input, 'cause')) / 1000,
      }),
      SendTaskSuccess: (input) => {
        sfn.sendTaskSuccess(requireString(input, 'taskToken'), requireString(input, 'output'));
        return {};
      },
      SendTaskFailure: (input) => {
        sfn.sendTaskFailure(requireString(input, 'taskToken'), optionalString(input, 'error'), optionalString(input, 'cause'));
        return {};
      },
      SendTaskHeartbeat: (input) => {
        sfn.sendTaskHeartbeat(requireString(input, 'taskToken'));
        return {};
      },
    },
  };
}
