/** The dashboard's Node side: serve or export the built page with a snapshot written by db-integration. */
export * from './errors';
export * from './files';
export * from './host-check';
export * from './server';
export * from './static-folder';
