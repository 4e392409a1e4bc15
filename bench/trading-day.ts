/**
 * Local mode settings for a benchmark that trades at any hour: sessions every day, the close 12
 * hours from now (`HH:MM:SS` America/New_York), so the market is open for the whole run.
 */
export function tradingDaySession(now: number = Date.now()): { sessionClose: string; sessionDays: string } {
  const sessionClose = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/New_York',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(now + 12 * 3600_000));
  return { sessionClose, sessionDays: 'sun,mon,tue,wed,thu,fri,sat' };
}
