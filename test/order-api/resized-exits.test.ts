/**
 * A bracket's exit the OMS resized (its group coordinator replaces it with the qty the position
 * needs, under a new id) is, to the client, still the leg the POST answered: a PATCH or DELETE of
 * that id acts on the order now working it (an SDK probe's bot kept its stop-loss id and could not
 * move its stop once the entry filled in parts). A replace the client asked for is not followed.
 */
import './env.js';
import type { OrderCommand } from '../../lambdas/core/index.js';
import { handler as cancel } from '../../lambdas/order-api/cancel-order.js';
import { handler as replace } from '../../lambdas/order-api/replace-order.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { FakeDynamo } from './fake-dynamo.js';
import { apiEvent, openReplacementOf, parse, riskInputs, seedOrder, storedEvents, T0 } from './fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
const fake = new FakeDynamo();

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
  jest.spyOn(Date, 'now').mockReturnValue(T0 + 1000);
});
afterEach(() => jest.restoreAllMocks());

/** The stop-loss (a buy stop: the bracket sold short) of group g-1, replaced once by `changes`. */
function replacedStopLoss(changes: Record<string, string>, requestedBy: string) {
  seedOrder(fake, 'sl-1', {
    body: { symbol: 'AAPL', qty: '10', side: 'buy', type: 'stop', stop_price: '110', time_in_force: 'gtc' },
    contingency: {
      groupId: 'g-1',
      orderClass: 'bracket',
      role: 'stop_loss',
      parentOrderId: 'e-1',
      legOrderIds: [],
      held: false,
    },
    commands: [
      { type: 'accept', venueOrderId: 'v-1' },
      { type: 'requestReplace', replacementOrderId: 'sl-2', changes, requestedBy },
      { type: 'confirmReplace' },
    ] as OrderCommand[],
  });
  openReplacementOf(fake, 'sl-1');
}

const types = (orderId: string) => storedEvents(fake, orderId).map((e) => e.type);
const patch = (body: unknown) =>
  replace(apiEvent({ routeKey: 'PATCH /v2/orders/{order_id}', pathParameters: { order_id: 'sl-1' }, body }));
const del = () =>
  cancel(apiEvent({ routeKey: 'DELETE /v2/orders/{order_id}', pathParameters: { order_id: 'sl-1' } }));

describe('resized by the OMS (qty alone, the group coordinator): acted on as the order now working it', () => {
  test('PATCH moves the stop of the replacement', async () => {
    replacedStopLoss({ qty: '5' }, 'oms:group-coordinator');
    const res = await patch({ stop_price: '111' });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({ replaces: 'sl-2', stop_price: '111', qty: '5' });
    expect(types('sl-2').at(-1)).toBe('OrderReplaceRequested');
    expect(types('sl-1').at(-1)).toBe('OrderReplaced');
  });

  test('DELETE cancels the replacement', async () => {
    replacedStopLoss({ qty: '5' }, 'oms:group-coordinator');
    expect((await del()).statusCode).toBe(204);
    expect(types('sl-2').at(-1)).toBe('OrderCancelRequested');
    expect(types('sl-1').at(-1)).toBe('OrderReplaced');
  });
});

describe('replaced by the client (a new stop): the old id is closed, as on Alpaca', () => {
  test.each([
    ['PATCH', () => patch({ stop_price: '111' })],
    ['DELETE', del],
  ])('%s -> 422, nothing appended', async (_name, call) => {
    replacedStopLoss({ stopPrice: '112' }, 'bot-1');
    const before = fake.table('events').size;
    const res = await call();
    expect(res.statusCode).toBe(422);
    expect(parse(res.body).message).toMatch(/replaced/);
    expect(fake.table('events').size).toBe(before);
  });
});
