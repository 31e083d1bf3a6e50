// The synthesized templates, pinned. A change to lib/ that is meant to leave the template alone
// (a refactor) must leave these snapshots untouched; a change that is meant to change it shows
// the change here, resource by resource, for review, and is recorded with
//   npx jest test/lib/template-snapshot -u
// The snapshots were first recorded from the construct before it was split into parts (issue
// "The construct reads like the release flow"), so the split is shown to synthesize the same
// templates. jest runs with `ci: true`: a missing snapshot fails instead of being written.
import { PINNED_CONFIGURATIONS, templateShape } from './template-shape';

describe('the synthesized templates', () => {
  test.each(PINNED_CONFIGURATIONS)('%s', (_name, make) => {
    expect(templateShape(make())).toMatchSnapshot();
  });
});

describe('the template shape', () => {
  test('ignores the order of policy statements and asset hashes, and nothing else', () => {
    const [, make] = PINNED_CONFIGURATIONS[1];
    const shape = JSON.stringify(templateShape(make()));
    expect(shape).not.toMatch(/[0-9a-f]{64}/);
    expect(shape).toContain('<asset-hash>');
    // Logical IDs are kept: the snapshot is also a record of them.
    expect(shape).toMatch(/"ReleaseSwapFunction[0-9A-F]{8}"/);
  });
});
