// Standalone entry, bundled by lambdas/bundle.mjs to dist/assets/build-tools/scan-gate.js and run
// by the buildspec as `node scan-gate.js <report.json> …` (no registry download at build time).
import { runScanGate } from './command';

process.exitCode = runScanGate(process.argv.slice(2));
