export * from './batch';
export * from './dtypes';
export * from './errors';
export * from './framing';
export * from './messages';
export * from './tensor';
