// Trivy report parser and gate: the library behind `bluegreen scan-gate` and the build's gate.
export * from './report';
export * from './allow-list';
export * from './evaluate';
export * from './format';
export { executeScanGate, processIO, runScanGate, scanGateCommand } from './command';
export type { ScanGateCommandOptions, ScanGateIO, ScanGateOptions } from './command';
