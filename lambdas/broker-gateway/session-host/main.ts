/**
 * Runs the venue session host (host.ts) until SIGTERM/SIGINT: the container's command on AWS, and
 * the child process local mode starts when FIX venues are configured (local/venue-sessions.ts).
 */
import { runHost } from './host.js';

runHost().then(
  (stop) => {
    const shutdown = () => {
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  },
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
