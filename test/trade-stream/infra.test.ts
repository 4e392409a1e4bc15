/**
 * The trade_updates stream in the synthesized stack: a WebSocket API with Alpaca's routes selected
 * by `$request.body.action`, all to the session function, a `live` stage with access logs; the
 * stream's table; the order stream consumer (which appends and sends updates) and the session
 * allowed to post to this stage's connections only, with the callback URL in their environment.
 */
import { ENV } from '../../lambdas/platform/config.js';
import { TRADE_STREAM_ROUTES } from '../../lib/trade-stream.js';
import { omsTemplate } from '../infra/synthesized.js';
import { type Json, refId, templateQueries } from '../infra/template-queries.js';

let resources: Record<string, Json>;

beforeAll(async () => {
  resources = (await omsTemplate()).Resources as Record<string, Json>;
});

const { ofType, functionId, statementsOf } = templateQueries(() => resources);

const wsApi = (): [string, Json] => {
  const apis = ofType('AWS::ApiGatewayV2::Api').filter(([, a]) => a.Properties.ProtocolType === 'WEBSOCKET');
  expect(apis).toHaveLength(1);
  return apis[0] as [string, Json];
};

test('a WebSocket API routing on $request.body.action: the five routes, all to the session function', () => {
  const [apiId, api] = wsApi();
  expect(api.Properties.RouteSelectionExpression).toBe('$request.body.action');
  const routes = ofType('AWS::ApiGatewayV2::Route')
    .map(([, r]) => r.Properties)
    .filter((r) => refId(r.ApiId) === apiId);
  expect(routes.map((r) => r.RouteKey).sort()).toEqual([...TRADE_STREAM_ROUTES].sort());
  const session = functionId('oms-stream-session');
  const integrations = ofType('AWS::ApiGatewayV2::Integration').filter(
    ([, i]) => refId(i.Properties.ApiId) === apiId,
  );
  for (const [, i] of integrations) expect(JSON.stringify(i.Properties.IntegrationUri)).toContain(session);
  const [, stage] = ofType('AWS::ApiGatewayV2::Stage').find(
    ([, s]) => refId(s.Properties.ApiId) === apiId,
  ) as [string, Json];
  expect(stage.Properties).toMatchObject({ StageName: 'live', AutoDeploy: true });
  expect(stage.Properties.AccessLogSettings?.DestinationArn).toBeDefined();
});

test.each([['oms-order-stream'], ['oms-stream-session']])(
  '%s may post to the stage connections only, and knows the callback URL',
  (service) => {
    const [apiId] = wsApi();
    const fn = functionId(service);
    const vars = resources[fn]?.Properties.Environment.Variables as Json;
    expect(JSON.stringify(vars[ENV.tradeStreamCallbackUrl])).toContain(apiId);
    expect(vars[ENV.tradeStreamTable]).toBeDefined();
    const manage = statementsOf(fn).filter((s) => JSON.stringify(s.Action).includes('execute-api'));
    expect(manage).toHaveLength(1);
    expect(manage[0]?.Action).toBe('execute-api:ManageConnections');
    expect(JSON.stringify(manage[0]?.Resource)).toContain('/live/*/@connections/*');
  },
);
