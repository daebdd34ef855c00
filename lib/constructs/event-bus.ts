// The custom bus `bc-agent-<stage>` and its archive, from which an operator can replay events.
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';

/** Every event the system publishes has a source starting with this (architecture §4). */
export const EVENT_SOURCE_PREFIX = 'bc-agent.';

export function eventBusName(config: EnvironmentConfig): string {
  return `bc-agent-${config.stage}`;
}

export interface EventBackboneProps {
  readonly config: EnvironmentConfig;
}

export class EventBackbone extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, { config }: EventBackboneProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: eventBusName(config),
      description: `bc-agent ${config.stage}: tasks, approvals, BC operations, checkpoints, audit`,
    });
    this.archive = this.bus.archive('Archive', {
      description: `Every event on ${eventBusName(config)}, for replay`,
      // An archive needs a pattern; the account matches every event put on this bus.
      eventPattern: { account: [Stack.of(this).account] },
      retention: Duration.days(config.retention.archiveDays),
    });
  }
}
