#!/usr/bin/env node
// The sample's CDK app. `npm run synth` (repository root) synthesizes it offline into
// sample-app/cdk.out and prints a summary; `npx cdk deploy` (in sample-app/) deploys it.
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildSampleApp } from './sample-stack';
import { summarize } from './summary';

const app = new App({ outdir: process.env.CDK_OUTDIR ?? path.join(__dirname, '..', 'cdk.out') });
buildSampleApp(app);
const assembly = app.synth();
console.log(summarize(assembly, path.relative(process.cwd(), assembly.directory) || '.').join('\n'));
