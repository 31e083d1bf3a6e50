export * from './blue-green-pipeline';
export * from './blue-green-pipeline-props';
export * from './blue-green-slot';
export * from './blue-green-service-props';
export * from './pipeline-source';
export * from './traffic-shift';
export * from './test-route';
export * from './release-tests';
