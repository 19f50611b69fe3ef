export * from './ssh-tunnel.js';
export * from './tls-options.js';
