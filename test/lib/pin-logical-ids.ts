// Writes test/lib/logical-ids.json from the sample stack as it synthesizes now:
//   npm run pin:logical-ids
// Run it after adding or (deliberately) removing a stateless resource; the diff is the review.
// A stateful resource's pin must never change in a released version: see logical-ids.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
// The .ts file by name: next to it, logical-ids.json wins Node's resolution of './logical-ids'.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pinsOf } = require('./logical-ids.ts') as typeof import('./logical-ids');
import { sampleConfiguration } from './nag/configurations';

const file = join(__dirname, 'logical-ids.json');
const pins = pinsOf(Template.fromStack(sampleConfiguration().stack).toJSON() as never);
writeFileSync(file, `${JSON.stringify(pins, null, 2)}\n`);
console.log(`${file}: ${Object.keys(pins.resources).length} resources, ${Object.keys(pins.createOnly).length} stateful`);
