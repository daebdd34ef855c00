import { describe, expect, it } from 'vitest';
import { applyInputTransformer, evaluateJsonPath, targetPayload, validateInputTransformer } from '../../../../local/aws/eventbridge/transform.js';

const event = {
  version: '0', id: 'e-1', 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', account: '123456789012',
  time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', tags: { team: 'a' } },
};
const rule = { ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/r', ruleName: 'r', ingestionTime: '2026-01-01T00:00:01.000Z' };

describe('EventBridge target input', () => {
  it('evaluates the JSON paths EventBridge accepts', () => {
    expect(evaluateJsonPath('$', event)).toBe(event);
    expect(evaluateJsonPath('$.detail.state', event)).toBe('RUNNING');
    expect(evaluateJsonPath("$.detail['instance-id']", event)).toBe('i-0123456789');
    expect(evaluateJsonPath('$.resources[0]', event)).toBe('arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789');
    expect(evaluateJsonPath('$.detail.missing.deeper', event)).toBeUndefined();
    expect(() => evaluateJsonPath('detail.state', event)).toThrow(/must start with \$/);
    expect(() => evaluateJsonPath('$..state', event)).toThrow(/Invalid JSON path/);
  });

  it('fills the documented string template example', () => {
    const transformer = {
      inputPathsMap: { instance: '$.detail.instance-id', state: '$.detail.state' },
      inputTemplate: '"<instance> is in state <state>"',
    };
    expect(applyInputTransformer(transformer, event, rule)).toBe('"i-0123456789 is in state RUNNING"');
  });

  it('fills JSON templates with JSON values outside strings and text inside them, plus predefined variables', () => {
    const output = applyInputTransformer({
      inputPathsMap: { tags: '$.detail.tags', state: '$.detail.state', nothing: '$.detail.nothing' },
      inputTemplate: '{"tags": <tags>, "summary": "state=<state> tags=<tags>", "none": <nothing>, "rule": <aws.events.rule-name>, "at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>}',
    }, event, rule);
    expect(JSON.parse(output)).toEqual({
      tags: { team: 'a' }, summary: 'state=RUNNING tags={"team":"a"}', none: null, rule: 'r', at: rule.ingestionTime, event,
    });
  });

  it('leaves unknown placeholders and escaped quotes alone', () => {
    const output = applyInputTransformer({ inputPathsMap: {}, inputTemplate: '{"text": "a \\"<b>\\" c", "lt": "x < y"}' }, event, rule);
    expect(JSON.parse(output)).toEqual({ text: 'a "<b>" c', lt: 'x < y' });
  });

  it('chooses Input, InputPath, InputTransformer or the whole event', () => {
    const base = { id: 't', arn: 'arn:aws:sqs:us-east-1:000000000000:q' };
    expect(targetPayload({ ...base, input: '{"constant":1}' }, event, rule)).toBe('{"constant":1}');
    expect(JSON.parse(targetPayload({ ...base, inputPath: '$.detail.tags' }, event, rule))).toEqual({ team: 'a' });
    expect(JSON.parse(targetPayload(base, event, rule))).toEqual(event);
  });

  it('validates transformers', () => {
    expect(() => validateInputTransformer({ inputTemplate: '' })).toThrow(/InputTemplate/);
    expect(() => validateInputTransformer({ inputPathsMap: { 'aws.events.rule-arn': '$.id' }, inputTemplate: '<x>' })).toThrow(/reserved/);
    expect(() => validateInputTransformer({ inputPathsMap: { x: 'id' }, inputTemplate: '<x>' })).toThrow(/must start with/);
  });
});
