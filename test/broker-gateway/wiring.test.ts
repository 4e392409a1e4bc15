import { auctionScheduleFromEnv } from '../../lambdas/broker-gateway/wiring.js';

const NAMES = ['OMS_SESSION_OPEN', 'OMS_SESSION_CLOSE', 'OMS_SESSION_DAYS', 'OMS_SESSION_CALENDAR'] as const;
const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
afterEach(() => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
});

describe('auctionScheduleFromEnv: when the venue holds its auctions', () => {
  test('nothing set: the core defaults (NYSE hours, days and holidays)', () => {
    for (const n of NAMES) delete process.env[n];
    expect(auctionScheduleFromEnv()).toEqual({});
  });

  test('the settings the workflow reads, with the open', () => {
    Object.assign(process.env, {
      OMS_SESSION_OPEN: '14:05:30',
      OMS_SESSION_CLOSE: '14:05:40',
      OMS_SESSION_DAYS: 'sun,mon,tue,wed,thu,fri,sat',
      OMS_SESSION_CALENDAR: 'none',
    });
    expect(auctionScheduleFromEnv()).toEqual({
      sessionOpen: '14:05:30',
      sessionClose: '14:05:40',
      sessionDays: [0, 1, 2, 3, 4, 5, 6],
      calendar: 'none',
    });
  });

  test.each([
    ['OMS_SESSION_OPEN', '9:30'],
    ['OMS_SESSION_CLOSE', '4pm'],
    ['OMS_SESSION_DAYS', 'weekdays'],
  ])('a malformed %s fails loudly, naming it', (name, value) => {
    process.env[name] = value;
    expect(() => auctionScheduleFromEnv()).toThrow(new RegExp(`^${name}: `));
  });
});
