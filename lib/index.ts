export * from './blue-green-pipeline';
export * from './pipeline-source';
