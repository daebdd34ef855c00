// Reads what a synthesized template's alarms and dashboard query: metric identities (namespace, name, dimension
// names and values) as CloudWatch would match them against what the functions emit.
import type { Template } from 'aws-cdk-lib/assertions';
import { resourcesOf } from './support.js';

/** A metric as CloudWatch identifies it; intrinsics appear as `${Ref:X}` / `${GetAtt:X.Attr}`. */
export interface QueriedMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic?: string;
  period?: number;
}

export interface AlarmQuery extends QueriedMetric {
  logicalId: string;
  threshold: number;
  comparison: string;
  description: string;
}

export interface DashboardWidget {
  type: string;
  title?: string;
  metrics: QueriedMetric[];
  expressions: string[];
  raw: Record<string, any>;
}

/** An intrinsic as a readable literal, so references can be compared. */
export function renderIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (typeof v.Ref === 'string') return `\${Ref:${v.Ref}}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `\${GetAtt:${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}}`;
  if (Array.isArray(v['Fn::Join'])) return (v['Fn::Join'][1] as unknown[]).map(renderIntrinsic).join(v['Fn::Join'][0] as string);
  throw new Error(`Unexpected intrinsic: ${JSON.stringify(value)}`);
}

/** Every alarm on a single metric (the ones this stack makes), keyed by logical id. */
export function alarmQueries(template: Template): AlarmQuery[] {
  return Object.entries(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map(([logicalId, alarm]) => {
    const p = alarm.Properties!;
    if (!p.MetricName) throw new Error(`${logicalId} is not a single-metric alarm: ${JSON.stringify(p)}`);
    return {
      logicalId,
      namespace: p.Namespace,
      metricName: p.MetricName,
      dimensions: Object.fromEntries(((p.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, renderIntrinsic(d.Value)])),
      statistic: p.Statistic,
      period: p.Period,
      threshold: p.Threshold,
      comparison: p.ComparisonOperator,
      description: p.AlarmDescription,
    };
  });
}

export function dashboardsOf(template: Template): Array<{ logicalId: string; name: string; widgets: DashboardWidget[] }> {
  return Object.entries(resourcesOf(template, 'AWS::CloudWatch::Dashboard')).map(([logicalId, dashboard]) => {
    const body = JSON.parse(renderIntrinsic(dashboard.Properties!.DashboardBody)) as { widgets: Array<{ type: string; properties: Record<string, any> }> };
    const widgets = body.widgets.map(({ type, properties }) => {
      const rows = (properties.metrics ?? []) as unknown[][];
      const metrics: QueriedMetric[] = [];
      const expressions: string[] = [];
      for (const row of rows) {
        const last = row[row.length - 1];
        const options = typeof last === 'object' && last !== null ? (last as Record<string, any>) : {};
        if (typeof options.expression === 'string') {
          expressions.push(options.expression);
          continue;
        }
        const parts = (typeof last === 'object' ? row.slice(0, -1) : row) as string[];
        const [namespace, metricName, ...pairs] = parts;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
        metrics.push({ namespace: namespace!, metricName: metricName!, dimensions, statistic: options.stat, period: options.period });
      }
      return { type, title: properties.title as string | undefined, metrics, expressions, raw: properties };
    });
    return { logicalId, name: dashboard.Properties!.DashboardName as string, widgets };
  });
}

/** Namespace + name + dimension names and values: what has to match for CloudWatch to show data. */
export function identityOf(metric: Pick<QueriedMetric, 'namespace' | 'metricName' | 'dimensions'>): string {
  const dims = Object.entries(metric.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${metric.namespace}/${metric.metricName}{${dims}}`;
}
