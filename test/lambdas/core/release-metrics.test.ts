import { createLogger } from '../../../lambdas/adapters/log';
import { RELEASE_METRICS, productionWeights, releaseMetricDocuments } from '../../../lambdas/core/release-metrics';
import { productionWrite, routeWrite } from '../../../lambdas/core/routes';
import { D1, config } from './fixtures';

const AT = Date.UTC(2026, 11, 1, 3, 0, 0);

/**
 * What CloudWatch Logs extracts from an EMF document, read the way the specification
 * ("Specification: Embedded metric format", CloudWatch user guide) says: every directive's
 * dimension and metric names are root members, dimension values are strings, metric values numbers.
 */
function extracted(doc: Record<string, any>): Array<{ namespace: string; name: string; unit: string; dimensions: Record<string, string>; value: number; timestamp: number }> {
  const meta = doc._aws;
  expect(typeof meta.Timestamp).toBe('number');
  return meta.CloudWatchMetrics.flatMap((directive: any) =>
    directive.Metrics.map((m: any) => {
      const [set] = directive.Dimensions;
      const dimensions = Object.fromEntries(set.map((d: string) => [d, doc[d]]));
      for (const value of Object.values(dimensions)) expect(typeof value).toBe('string');
      expect(typeof doc[m.Name]).toBe('number');
      return { namespace: directive.Namespace, name: m.Name, unit: m.Unit, dimensions, value: doc[m.Name], timestamp: meta.Timestamp };
    }),
  );
}

describe('the release metrics', () => {
  test('a swap to slot b: b at 100, a at 0, one swap counted, the digest a field and not a dimension', () => {
    const docs = releaseMetricDocuments({ pipelineName: 'shop', operation: 'swap', write: routeWrite(config, 'production', 'b'), digest: D1, timestamp: AT });
    expect(docs.flatMap(extracted)).toEqual([
      { namespace: 'BlueGreen', name: 'ProductionWeight', unit: 'Percent', dimensions: { Pipeline: 'shop', Slot: 'a' }, value: 0, timestamp: AT },
      { namespace: 'BlueGreen', name: 'ProductionWeight', unit: 'Percent', dimensions: { Pipeline: 'shop', Slot: 'b' }, value: 100, timestamp: AT },
      { namespace: 'BlueGreen', name: 'Operations', unit: 'Count', dimensions: { Pipeline: 'shop', Operation: 'swap' }, value: 1, timestamp: AT },
    ]);
    expect(docs[2]).toMatchObject({ digest: D1, weights: { a: 0, b: 100 } });
  });

  test('a shift step carries the split; a record without a digest gives an empty digest field', () => {
    const write = productionWrite(config, 'a', 30, 0);
    expect(productionWeights(write)).toEqual({ a: 30, b: 70 });
    const docs = releaseMetricDocuments({ pipelineName: 'shop', operation: 'shift-step', write, digest: null, timestamp: AT });
    expect(docs.map((d) => [d.Slot ?? d.Operation, d[RELEASE_METRICS.weight] ?? d[RELEASE_METRICS.operations]])).toEqual([['a', 30], ['b', 70], ['shift-step', 1]]);
    expect(docs[2].digest).toBe('');
  });

  test('through the logger each document is one JSON line whose EMF members survive the context fields', () => {
    const lines: string[] = [];
    const log = createLogger({ executionId: 'e-1', operation: 'swap' }, (l) => lines.push(l));
    for (const doc of releaseMetricDocuments({ pipelineName: 'shop', operation: 'rollback', write: routeWrite(config, 'production', 'a'), digest: D1, timestamp: AT })) {
      log.info('release metric', doc);
    }
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.flatMap(extracted).map((m) => `${m.name} ${JSON.stringify(m.dimensions)} ${m.value}`)).toEqual([
      'ProductionWeight {"Pipeline":"shop","Slot":"a"} 100',
      'ProductionWeight {"Pipeline":"shop","Slot":"b"} 0',
      'Operations {"Pipeline":"shop","Operation":"rollback"} 1',
    ]);
    // The logger's own `operation` context field and the metric's `Operation` dimension are distinct members.
    expect(parsed[2]).toMatchObject({ operation: 'swap', Operation: 'rollback', executionId: 'e-1' });
  });
});
