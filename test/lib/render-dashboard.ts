// Writes docs/dashboard.svg: the layout of the dashboard the base configuration of the tests
// synthesizes (test/lib/dashboard.test.ts checks the committed file is this one). Run with
//   npm run render:dashboard
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardWidgets, renderDashboardSvg } from '../support/dashboard-layout';
import { synth } from './fixtures';

const out = join(__dirname, '..', '..', 'docs', 'dashboard.svg');
writeFileSync(out, renderDashboardSvg(dashboardWidgets(synth().template)));
console.log(`wrote ${out}`);
