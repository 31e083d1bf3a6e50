export * from './config';
export * from './state';
export * from './events';
export * from './ports';
