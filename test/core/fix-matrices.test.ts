/**
 * The FIX order state change matrices (FIX 4.2 Appendix D, scenarios D1-D17; the same scenarios
 * are A.1.a-D.2.b in FIX 4.4 Volume 4), replayed through the order aggregate.
 *
 * Each row is one matrix step: the FIX message, the command it becomes here, and the expected
 * Alpaca status, order qty, filled (CumQty) and leaves (LeavesQty) of the order that message
 * concerns. Reading a row against the matrix: FIX ClOrdIDs X, Y, Z are order ids here; a
 * confirmed replace opens the replacement order (Alpaca's `replaced_by`), which carries the
 * chain's CumQty as FIX does.
 *
 * Where this OMS takes one of the matrix's permitted alternatives, the row says so:
 *  - a request the OMS itself refuses (a replace of a filled order, D8; a second request while
 *    one is outstanding, D16/D17) is a typed refusal at request time, standing for the
 *    matrix's Cancel Reject;
 *  - rows before the sell side's Pending ack keep the prior status, as in the matrices, except a
 *    cancel asked before the order is acknowledged (B.1.d/2): Alpaca shows it `pending_cancel` at once.
 */
import type { OrderCommand, RefusalCode } from '../../lambdas/core/index.js';
import { limitOrder, OrderBook, snapshot } from './order-book.js';

type Act =
  | readonly ['submit', number, ('day' | 'gtc')?]
  | readonly ['accept']
  | readonly ['fill', number]
  | readonly ['requestCancel']
  | readonly ['ackCancel']
  | readonly ['cancel']
  | readonly ['rejectCancel']
  | readonly ['requestReplace', string, { readonly qty?: number; readonly limitPrice?: string }]
  | readonly ['ackReplace']
  | readonly ['replace']
  | readonly ['rejectReplace']
  | readonly ['doneForDay']
  | readonly ['reopen']
  | readonly ['check'];

interface Expected {
  /** The order to look at, when not the one acted on (a replace reports on the new order). */
  readonly order?: string;
  readonly status: string;
  readonly qty: number;
  readonly cum: number;
  readonly leaves: number;
  readonly refused?: RefusalCode;
}

type Row = readonly [ref: string, fix: string, on: string, act: Act, expected: Expected];

const e = (
  status: string,
  qty: number,
  cum: number,
  leaves: number,
  more: Partial<Expected> = {},
): Expected => ({
  status,
  qty,
  cum,
  leaves,
  ...more,
});

const NEW: Row[] = [
  ['1', 'New Order(X) 10000', 'X', ['submit', 10000], e('pending_new', 10000, 0, 10000)],
  ['2', 'Execution(X) New/New', 'X', ['accept'], e('new', 10000, 0, 10000)],
];
const renumber = (rows: Row[], prefix: string): Row[] =>
  rows.map(([ref, ...rest]) => [`${prefix}/${ref}`, ...rest]);

// biome-ignore format: the matrices read best one step a line
const scenarios: ReadonlyArray<readonly [string, readonly Row[]]> = [
  [
    'D1 filled order',
    [
      ...renumber(NEW, 'D1'),
      ['D1/3', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 2000, 8000)],
      ['D1/4', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 3000, 7000)],
      ['D1/5', 'Execution(X) Fill 7000', 'X', ['fill', 7000], e('filled', 10000, 10000, 0)],
    ],
  ],
  [
    'D2 part-filled day order, done for day',
    [
      ...renumber(NEW, 'D2'),
      ['D2/3', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 2000, 8000)],
      ['D2/4', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 3000, 7000)],
      ['D2/5', 'Execution(X) Done for Day (day order: leaves 0)', 'X', ['doneForDay'], e('done_for_day', 10000, 3000, 0)],
    ],
  ],
  [
    'D27 (4.2) GTC order done for day keeps its leaves, restated next session',
    [
      ['D27/1', 'New Order(X) 10000 GTC', 'X', ['submit', 10000, 'gtc'], e('pending_new', 10000, 0, 10000)],
      ['D27/2', 'Execution(X) New/New', 'X', ['accept'], e('new', 10000, 0, 10000)],
      ['D27/3', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 2000, 8000)],
      ['D27/4', 'Execution(X) Done for Day', 'X', ['doneForDay'], e('done_for_day', 10000, 2000, 8000)],
      ['D27/5', 'Execution(X) Restated (GTC renewal)', 'X', ['reopen'], e('partially_filled', 10000, 2000, 8000)],
    ],
  ],
  [
    'D3 cancel request issued for a zero-filled order',
    [
      ...renumber(NEW, 'D3'),
      ['D3/3', 'Cancel Request(Y,X)', 'X', ['requestCancel'], e('new', 10000, 0, 10000)],
      ['D3/4', 'Execution(Y,X) Pending Cancel', 'X', ['ackCancel'], e('pending_cancel', 10000, 0, 10000)],
      ['D3/5', 'Execution(Y,X) Canceled', 'X', ['cancel'], e('canceled', 10000, 0, 0)],
    ],
  ],
  [
    'D3 alternative: cancel rejected before, then after, the Pending Cancel ack',
    [
      ...renumber(NEW, 'D3alt'),
      ['D3alt/3', 'Cancel Request(Y,X)', 'X', ['requestCancel'], e('new', 10000, 0, 10000)],
      ['D3alt/4', 'Cancel Reject(Y,X) New', 'X', ['rejectCancel'], e('new', 10000, 0, 10000)],
      ['D3alt/5', 'Cancel Request(Z,X)', 'X', ['requestCancel'], e('new', 10000, 0, 10000)],
      ['D3alt/6', 'Execution(Z,X) Pending Cancel', 'X', ['ackCancel'], e('pending_cancel', 10000, 0, 10000)],
      ['D3alt/7', 'Cancel Reject(Z,X) New: back to New', 'X', ['rejectCancel'], e('new', 10000, 0, 10000)],
    ],
  ],
  [
    'D4 cancel request for a part-filled order, executions while the cancel is active',
    [
      ...renumber(NEW, 'D4'),
      ['D4/3', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 2000, 8000)],
      ['D4/4', 'Cancel Request(Y,X)', 'X', ['requestCancel'], e('partially_filled', 10000, 2000, 8000)],
      ['D4/4b', 'Execution(X) Partial Fill 3000 (crosses the request)', 'X', ['fill', 3000], e('partially_filled', 10000, 5000, 5000)],
      ['D4/5', 'Execution(Y,X) Pending Cancel', 'X', ['ackCancel'], e('pending_cancel', 10000, 5000, 5000)],
      ['D4/6', 'Execution(X) Partial Fill 1000 during pending cancel', 'X', ['fill', 1000], e('pending_cancel', 10000, 6000, 4000)],
      ['D4/7', 'Execution(Y,X) Canceled', 'X', ['cancel'], e('canceled', 10000, 6000, 0)],
    ],
  ],
  [
    'D5 cancel request for an order that fills before the cancel is accepted',
    [
      ...renumber(NEW, 'D5'),
      ['D5/3', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 2000, 8000)],
      ['D5/4', 'Cancel Request(Y,X)', 'X', ['requestCancel'], e('partially_filled', 10000, 2000, 8000)],
      ['D5/4b', 'Execution(X) Partial Fill 3000 (crosses the request)', 'X', ['fill', 3000], e('partially_filled', 10000, 5000, 5000)],
      ['D5/5', 'Execution(Y,X) Pending Cancel', 'X', ['ackCancel'], e('pending_cancel', 10000, 5000, 5000)],
      ['D5/6', 'Execution(X) Fill 5000: Pending Cancel outranks Filled', 'X', ['fill', 5000], e('pending_cancel', 10000, 10000, 0)],
      [
        'D5/6b',
        '(a Canceled now would cancel nothing: refused)',
        'X',
        ['cancel'],
        e('pending_cancel', 10000, 10000, 0, { refused: 'nothing_to_cancel' }),
      ],
      ['D5/7', 'Cancel Reject(Y,X) Filled (too late to cancel)', 'X', ['rejectCancel'], e('filled', 10000, 10000, 0)],
    ],
  ],
  [
    'D6 zero-filled order, cancel/replace request to increase qty',
    [
      ...renumber(NEW, 'D6'),
      ['D6/3', 'Replace Request(Y,X) 11000', 'X', ['requestReplace', 'Y', { qty: 11000 }], e('new', 10000, 0, 10000)],
      ['D6/4', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 0, 10000)],
      ['D6/5', 'Execution(Y,X) Replace: new order works', 'X', ['replace'], e('new', 11000, 0, 11000, { order: 'Y' })],
      ['D6/5b', '(the replaced order is closed)', 'X', ['check'], e('replaced', 10000, 0, 0)],
      ['D6/6', 'Execution(Y) Partial Fill 1000', 'Y', ['fill', 1000], e('partially_filled', 11000, 1000, 10000)],
      ['D6/7', 'Execution(Y) Fill 10000', 'Y', ['fill', 10000], e('filled', 11000, 11000, 0)],
    ],
  ],
  [
    'D7 part-filled order, replace to increase qty, execution while pending replace',
    [
      ...renumber(NEW, 'D7'),
      ['D7/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D7/4', 'Replace Request(Y,X) 12000', 'X', ['requestReplace', 'Y', { qty: 12000 }], e('partially_filled', 10000, 1000, 9000)],
      ['D7/5', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 1000, 9000)],
      ['D7/6', 'Execution(X) Partial Fill 100 on the old terms', 'X', ['fill', 100], e('pending_replace', 10000, 1100, 8900)],
      ['D7/7', 'Execution(Y,X) Replace: CumQty carries over', 'X', ['replace'], e('partially_filled', 12000, 1100, 10900, { order: 'Y' })],
      ['D7/8', 'Execution(Y) Fill 10900', 'Y', ['fill', 10900], e('filled', 12000, 12000, 0)],
    ],
  ],
  [
    'D8 filled order, then a replace request to increase qty (this OMS takes the reject branch)',
    [
      ...renumber(NEW, 'D8'),
      ['D8/3', 'Execution(X) Fill 10000', 'X', ['fill', 10000], e('filled', 10000, 10000, 0)],
      [
        'D8/4-5alt',
        'Replace Request(Y,X) 12000 -> Cancel Reject(Y,X) Filled',
        'X',
        ['requestReplace', 'Y', { qty: 12000 }],
        e('filled', 10000, 10000, 0, { refused: 'order_closed' }),
      ],
    ],
  ],
  [
    'D9 replace (not for qty) rejected because a fill has occurred',
    [
      ...renumber(NEW, 'D9'),
      ['D9/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      [
        'D9/4',
        'Replace Request(Y,X) new limit price',
        'X',
        ['requestReplace', 'Y', { limitPrice: '10.5' }],
        e('partially_filled', 10000, 1000, 9000),
      ],
      ['D9/4b', 'Execution(X) Fill 9000 (crosses the request)', 'X', ['fill', 9000], e('filled', 10000, 10000, 0)],
      ['D9/5', 'Cancel Reject(Y,X) Filled (too late)', 'X', ['rejectReplace'], e('filled', 10000, 10000, 0)],
    ],
  ],
  [
    'D10 replace while an execution is reported; requested qty > cum qty',
    [
      ...renumber(NEW, 'D10'),
      ['D10/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D10/4', 'Replace Request(Y,X) 8000', 'X', ['requestReplace', 'Y', { qty: 8000 }], e('partially_filled', 10000, 1000, 9000)],
      ['D10/4b', 'Execution(X) Partial Fill 500 (crosses)', 'X', ['fill', 500], e('partially_filled', 10000, 1500, 8500)],
      ['D10/5', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 1500, 8500)],
      ['D10/6', 'Execution(X) Partial Fill 100', 'X', ['fill', 100], e('pending_replace', 10000, 1600, 8400)],
      ['D10/7', 'Execution(Y,X) Replace', 'X', ['replace'], e('partially_filled', 8000, 1600, 6400, { order: 'Y' })],
      ['D10/8', 'Execution(Y) Fill 6400', 'Y', ['fill', 6400], e('filled', 8000, 8000, 0)],
    ],
  ],
  [
    'D11 replace while an execution is reported; requested qty = cum qty',
    [
      ...renumber(NEW, 'D11'),
      ['D11/3', 'Replace Request(Y,X) 7000', 'X', ['requestReplace', 'Y', { qty: 7000 }], e('new', 10000, 0, 10000)],
      ['D11/3b', 'Execution(X) Partial Fill 7000 (crosses)', 'X', ['fill', 7000], e('partially_filled', 10000, 7000, 3000)],
      ['D11/4', 'Execution(Y,X) Replace: filled', 'X', ['replace'], e('filled', 7000, 7000, 0, { order: 'Y' })],
    ],
  ],
  [
    'D12 replace while an execution is reported; requested qty < cum qty: qty amended to cum qty',
    [
      ...renumber(NEW, 'D12'),
      ['D12/3', 'Replace Request(Y,X) 7000', 'X', ['requestReplace', 'Y', { qty: 7000 }], e('new', 10000, 0, 10000)],
      ['D12/3b', 'Execution(X) Partial Fill 8000 (crosses)', 'X', ['fill', 8000], e('partially_filled', 10000, 8000, 2000)],
      ['D12/4', 'Execution(Y,X) Replace: OrderQty 8000, filled', 'X', ['replace'], e('filled', 8000, 8000, 0, { order: 'Y' })],
    ],
  ],
  [
    'D13 one replace accepted, then another also accepted',
    [
      ...renumber(NEW, 'D13'),
      ['D13/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D13/4', 'Replace Request(Y,X) 8000', 'X', ['requestReplace', 'Y', { qty: 8000 }], e('partially_filled', 10000, 1000, 9000)],
      ['D13/5', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 1000, 9000)],
      ['D13/6', 'Execution(X) Partial Fill 500', 'X', ['fill', 500], e('pending_replace', 10000, 1500, 8500)],
      ['D13/7', 'Execution(Y,X) Replace', 'X', ['replace'], e('partially_filled', 8000, 1500, 6500, { order: 'Y' })],
      ['D13/8', 'Execution(Y) Partial Fill 2000', 'Y', ['fill', 2000], e('partially_filled', 8000, 3500, 4500)],
      ['D13/9', 'Replace Request(Z,Y) 6000', 'Y', ['requestReplace', 'Z', { qty: 6000 }], e('partially_filled', 8000, 3500, 4500)],
      ['D13/10', 'Execution(Z,Y) Pending Replace', 'Y', ['ackReplace'], e('pending_replace', 8000, 3500, 4500)],
      ['D13/11', 'Execution(Z,Y) Replace', 'Y', ['replace'], e('partially_filled', 6000, 3500, 2500, { order: 'Z' })],
      ['D13/12', 'Execution(Z) Fill 2500', 'Z', ['fill', 2500], e('filled', 6000, 6000, 0)],
    ],
  ],
  [
    'D14 one replace rejected before Pending Replace, then another accepted',
    [
      ...renumber(NEW, 'D14'),
      ['D14/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D14/4', 'Replace Request(Y,X) 8000', 'X', ['requestReplace', 'Y', { qty: 8000 }], e('partially_filled', 10000, 1000, 9000)],
      ['D14/5', 'Cancel Reject(Y,X) Partially Filled', 'X', ['rejectReplace'], e('partially_filled', 10000, 1000, 9000)],
      ['D14/6', 'Execution(X) Partial Fill 500', 'X', ['fill', 500], e('partially_filled', 10000, 1500, 8500)],
      ['D14/7', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 3500, 6500)],
      ['D14/8', 'Replace Request(Z,X) 6000', 'X', ['requestReplace', 'Z', { qty: 6000 }], e('partially_filled', 10000, 3500, 6500)],
      ['D14/9', 'Execution(Z,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 3500, 6500)],
      ['D14/10', 'Execution(Z,X) Replace', 'X', ['replace'], e('partially_filled', 6000, 3500, 2500, { order: 'Z' })],
      ['D14/11', 'Execution(Z) Partial Fill 1500', 'Z', ['fill', 1500], e('partially_filled', 6000, 5000, 1000)],
    ],
  ],
  [
    'D15 one replace rejected after Pending Replace, then another accepted',
    [
      ...renumber(NEW, 'D15'),
      ['D15/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D15/4', 'Replace Request(Y,X) 8000', 'X', ['requestReplace', 'Y', { qty: 8000 }], e('partially_filled', 10000, 1000, 9000)],
      ['D15/5', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 1000, 9000)],
      ['D15/6', 'Execution(X) Partial Fill 500', 'X', ['fill', 500], e('pending_replace', 10000, 1500, 8500)],
      ['D15/7', 'Cancel Reject(Y,X): back to Partially Filled', 'X', ['rejectReplace'], e('partially_filled', 10000, 1500, 8500)],
      ['D15/8', 'Execution(X) Partial Fill 2000', 'X', ['fill', 2000], e('partially_filled', 10000, 3500, 6500)],
      ['D15/9', 'Replace Request(Z,X) 6000', 'X', ['requestReplace', 'Z', { qty: 6000 }], e('partially_filled', 10000, 3500, 6500)],
      ['D15/10', 'Execution(Z,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 3500, 6500)],
      ['D15/11', 'Execution(Z,X) Replace', 'X', ['replace'], e('partially_filled', 6000, 3500, 2500, { order: 'Z' })],
      ['D15/12', 'Execution(Z) Partial Fill 1500', 'Z', ['fill', 1500], e('partially_filled', 6000, 5000, 1000)],
    ],
  ],
  [
    'D16 one replace followed immediately by another (this OMS processes one request at a time)',
    [
      ...renumber(NEW, 'D16'),
      ['D16/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D16/4', 'Replace Request(Y,X) 8000', 'X', ['requestReplace', 'Y', { qty: 8000 }], e('partially_filled', 10000, 1000, 9000)],
      [
        'D16/5',
        'Replace Request(Z,Y) 7000 before Y is confirmed: refused while a request is outstanding',
        'X',
        ['requestReplace', 'Z', { qty: 7000 }],
        e('partially_filled', 10000, 1000, 9000, { refused: 'request_pending' }),
      ],
      ['D16/6', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 1000, 9000)],
      ['D16/7', 'Execution(Y,X) Replace', 'X', ['replace'], e('partially_filled', 8000, 1000, 7000, { order: 'Y' })],
      ['D16/8', 'Replace Request(Z,Y) 7000, sent again once Y is live', 'Y', ['requestReplace', 'Z', { qty: 7000 }], e('partially_filled', 8000, 1000, 7000)],
      ['D16/8b', 'Execution(Z,Y) Pending Replace', 'Y', ['ackReplace'], e('pending_replace', 8000, 1000, 7000)],
      ['D16/9', 'Execution(Z,Y) Replace', 'Y', ['replace'], e('partially_filled', 7000, 1000, 6000, { order: 'Z' })],
      ['D16/10', 'Execution(Z) Fill 6000', 'Z', ['fill', 6000], e('filled', 7000, 7000, 0)],
    ],
  ],
  [
    'D17 one replace followed immediately by another; the second rejected because one is pending',
    [
      ...renumber(NEW, 'D17'),
      ['D17/3', 'Execution(X) Partial Fill 1000', 'X', ['fill', 1000], e('partially_filled', 10000, 1000, 9000)],
      ['D17/4', 'Replace Request(Y,X) 8000', 'X', ['requestReplace', 'Y', { qty: 8000 }], e('partially_filled', 10000, 1000, 9000)],
      [
        'D17/5,7',
        'Replace Request(Z,Y) 7000 -> Cancel Reject (already pending)',
        'X',
        ['requestReplace', 'Z', { qty: 7000 }],
        e('partially_filled', 10000, 1000, 9000, { refused: 'request_pending' }),
      ],
      ['D17/6', 'Execution(Y,X) Pending Replace', 'X', ['ackReplace'], e('pending_replace', 10000, 1000, 9000)],
      ['D17/8', 'Execution(Y,X) Replace', 'X', ['replace'], e('partially_filled', 8000, 1000, 7000, { order: 'Y' })],
      ['D17/9', 'Execution(Y) Partial Fill 2000', 'Y', ['fill', 2000], e('partially_filled', 8000, 3000, 5000)],
    ],
  ],
  [
    'FIX 4.4 B.1.d cancel request before the order is acknowledged',
    [
      ['B.1.d/1', 'New Order(X) 10000', 'X', ['submit', 10000], e('pending_new', 10000, 0, 10000)],
      ['B.1.d/2', 'Cancel Request(Y,X): Alpaca shows pending_cancel at once', 'X', ['requestCancel'], e('pending_cancel', 10000, 0, 10000)],
      ['B.1.d/3', 'Execution(Y,X) Pending Cancel', 'X', ['ackCancel'], e('pending_cancel', 10000, 0, 10000)],
      ['B.1.d/4', 'Execution(Y,X) Canceled', 'X', ['cancel'], e('canceled', 10000, 0, 0)],
    ],
  ],
];

function commandFor(book: OrderBook, act: Act): OrderCommand | null {
  switch (act[0]) {
    case 'submit':
    case 'check':
      return null;
    case 'accept':
      return { type: 'accept', venueOrderId: 'venue-1' };
    case 'fill':
      return { type: 'fill', execId: book.nextExecId(), lastQty: String(act[1]), lastPx: '10' };
    case 'requestCancel':
      return { type: 'requestCancel', requestedBy: 'client' };
    case 'ackCancel':
      return { type: 'acknowledgeCancel' };
    case 'cancel':
      return { type: 'confirmCancel' };
    case 'rejectCancel':
      return { type: 'rejectCancel', reason: 'too late to cancel' };
    case 'requestReplace': {
      const [, replacementOrderId, change] = act;
      return {
        type: 'requestReplace',
        replacementOrderId,
        requestedBy: 'client',
        changes: {
          ...(change.qty === undefined ? {} : { qty: String(change.qty) }),
          ...(change.limitPrice === undefined ? {} : { limitPrice: change.limitPrice }),
        },
      };
    }
    case 'ackReplace':
      return { type: 'acknowledgeReplace' };
    case 'replace':
      return { type: 'confirmReplace' };
    case 'rejectReplace':
      return { type: 'rejectReplace', reason: 'too late to replace' };
    case 'doneForDay':
      return { type: 'doneForDay' };
    case 'reopen':
      return { type: 'restate', reason: 'gtc_renewal', reopen: true };
  }
}

describe.each(scenarios)('%s', (_title, rows) => {
  test('every step leaves the order with the matrix status, qty, cum qty and leaves qty', () => {
    const book = new OrderBook();
    const actual: unknown[] = [];
    const expected: unknown[] = [];
    for (const [ref, fix, on, act, want] of rows) {
      let refused: RefusalCode | undefined;
      if (act[0] === 'submit') {
        book.submit(on, limitOrder({ qty: String(act[1]), time_in_force: act[2] ?? 'day' }));
      } else {
        const command = commandFor(book, act);
        if (command !== null) {
          const decision = book.run(on, command);
          if (!decision.ok) refused = decision.refusal.code;
        }
      }
      const s = snapshot(book.state(want.order ?? on));
      actual.push({ ref, fix, status: s.status, qty: s.qty, cum: s.filled, leaves: s.leaves, refused });
      expected.push({
        ref,
        fix,
        status: want.status,
        qty: String(want.qty),
        cum: String(want.cum),
        leaves: String(want.leaves),
        refused: want.refused,
      });
    }
    expect(actual).toEqual(expected);
  });
});

test('a replacement links both ways and carries the chain, for Alpaca replaces/replaced_by', () => {
  const book = new OrderBook();
  book.submit('X', limitOrder());
  book.run('X', { type: 'accept' });
  book.run('X', { type: 'fill', execId: 'a', lastQty: '1000', lastPx: '10' });
  book.run('X', {
    type: 'requestReplace',
    replacementOrderId: 'Y',
    requestedBy: 'c',
    changes: { qty: '5000', limitPrice: '9.99' },
  });
  book.run('X', { type: 'confirmReplace' });
  const x = book.state('X');
  const y = book.state('Y');
  expect([x.replacedBy, y.replaces]).toEqual(['Y', 'X']);
  expect(snapshot(x)).toEqual({
    status: 'replaced',
    qty: '10000',
    filled: '1000',
    leaves: '0',
    canceled: '9000',
  });
  expect(y.spec.limitPrice).toBe('9.99');
  expect(y.clientOrderId).toBe('Y');
  expect(y.accountId).toBe(x.accountId);
  // The carried fills keep their price: the average is the chain's.
  book.run('Y', { type: 'fill', execId: 'b', lastQty: '1000', lastPx: '9.99' });
  expect(book.events.get('Y')?.at(-1)?.data).toMatchObject({
    filledQty: '2000',
    filledAvgPrice: '9.995',
    leavesQty: '3000',
  });
});
