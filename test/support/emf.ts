// Captures the CloudWatch EMF documents Powertools Metrics prints on stdout, and reads the metrics they define
// the way CloudWatch does: one metric per (namespace, name, dimension set), dimension values from the document.
import { vi } from 'vitest';

export interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

export interface EmittedMetric {
  namespace: string;
  metricName: string;
  unit: string;
  dimensions: Record<string, string>;
  value: unknown;
}

/** Runs `action` and returns the EMF documents it printed. */
export async function captureEmf(action: () => unknown): Promise<EmfDocument[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await action();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfDocument);
}

/** Every metric the documents define: one per namespace × dimension set × metric name. */
export function emittedMetrics(docs: EmfDocument[]): EmittedMetric[] {
  return docs.flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Dimensions.flatMap((set) =>
        directive.Metrics.map((metric) => ({
          namespace: directive.Namespace,
          metricName: metric.Name,
          unit: metric.Unit,
          dimensions: Object.fromEntries(set.map((name) => [name, String(doc[name])])),
          value: doc[metric.Name],
        })),
      ),
    ),
  );
}
