/** Smart order routing: the router's rules (router.ts) and the built-in policies (policies.ts). */
export * from './policies.js';
export * from './router.js';
