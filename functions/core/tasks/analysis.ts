// The analysis task: statistics of a referenced result, with Claude's narrative when it is configured.
import * as z from 'zod';
import type { ProseWriter } from '../claude/index.js';
import { analyzeArgsSchema } from '../plan/index.js';
import type { TaskExecutor } from '../task-runtime/index.js';
import { parseArgs } from './parse-args.js';
import { describeStatistics, fieldStatistics } from './statistics.js';

/** `source` arrives as the referenced result itself. */
const resolvedAnalyzeArgsSchema = analyzeArgsSchema.extend({ source: z.unknown() });
type ResolvedAnalyzeArgs = z.infer<typeof resolvedAnalyzeArgsSchema>;

export interface AnalysisOptions {
  /** Claude, when configured: adds a narrative to the statistics. */
  writer?: ProseWriter;
}

export function analysisExecutor(options: AnalysisOptions = {}): TaskExecutor {
  return async (context) => {
    const args = parseArgs<ResolvedAnalyzeArgs>(context.task.tool, context.args, resolvedAnalyzeArgsSchema);
    const statistics = fieldStatistics(args.source, args.by);
    let text = describeStatistics(args.entity, statistics);
    let narrator: 'statistics' | 'claude' = 'statistics';
    if (options.writer) {
      try {
        text = await options.writer.write(
          `Summarise these statistics of Business Central ${args.entity} by ${args.by}${args.question ? ` to answer: ${JSON.stringify(args.question)}` : ''}.`,
          { entity: args.entity, statistics },
        );
        narrator = 'claude';
      } catch (error) {
        // The statistics are the answer either way; the narrative is a nicety.
        context.logger.warn('Claude could not write the analysis; statistics only', { error: error as Error });
      }
    }
    return { kind: 'succeeded', payload: await context.payloadOf({ entity: args.entity, ...statistics, text, narrator }) };
  };
}
