/**
 * One New York day's CAT-shaped export and its proof (issue 16, docs/compliance.md): the records
 * of every reportable event of the day (core cat-records.ts) as JSON lines, the day's raw events
 * as the event store's archive, and a manifest that makes any later change to either detectable:
 *
 * - a hash chain over the records: `h0 = SHA-256("CAT|<imid>|<date>")`, `h_i = SHA-256(h_{i-1} +
 *   "\n" + line_i)` (hex); the manifest holds the count and the final hash, so a changed, removed,
 *   added or reordered line changes the final hash;
 * - the SHA-256 of each file as written (a changed byte anywhere, newline included, shows);
 * - verification recomputes the export from the event store and compares line by line, so it names
 *   the first line that differs, not just "the hash does not match".
 *
 * Pure and deterministic: the same event streams give the same bytes (no clock, keys in a fixed
 * order), which is what makes "recompute and compare" a proof.
 */
import { createHash } from 'node:crypto';
import { isCalendarDate } from './calendar.js';
import {
  CAT_EVENT_RULES,
  CAT_SPEC_VERSION,
  type CatEventType,
  type CatRecord,
  catRecordsOf,
} from './cat-records.js';
import type { OrderEvent, OrderSubmitted } from './events.js';
import { newYorkDate } from './session.js';

/** One order's whole stream (every event, seq order) and its account. */
export interface CatOrderStream {
  readonly accountId: string;
  readonly events: readonly OrderEvent[];
}

export const CAT_MANIFEST_VERSION = 1;

export interface CatManifest {
  readonly manifestVersion: number;
  readonly specVersion: string;
  readonly date: string;
  readonly reporterImid: string;
  readonly records: {
    readonly key: string;
    readonly count: number;
    readonly byType: Readonly<Partial<Record<CatEventType, number>>>;
    readonly chain: { readonly algorithm: 'SHA-256'; readonly genesis: string; readonly final: string };
    readonly sha256: string;
  };
  readonly archive: { readonly key: string; readonly count: number; readonly sha256: string };
}

export interface CatDayExport {
  readonly manifestKey: string;
  readonly manifest: CatManifest;
  /** The records file's text (JSON lines, one per record, each ending in a newline). */
  readonly records: string;
  /** The archive file's text: the day's stored events, one per line. */
  readonly archive: string;
}

/** Whether `date` is a real calendar date `YYYY-MM-DD`. */
export function isCatDate(date: string): boolean {
  return isCalendarDate(date);
}

/** Object keys of a day (CAT's own file naming is `<reporter>_<date>_...`; these are JSON lines). */
export function catKeys(reporterImid: string, date: string) {
  return {
    records: `cat/${date}/${reporterImid}-${date}.jsonl`,
    manifest: `cat/${date}/${reporterImid}-${date}.manifest.json`,
    archive: `archive/${date}/events-${date}.jsonl`,
  };
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function chainGenesis(reporterImid: string, date: string): string {
  return sha256Hex(`CAT|${reporterImid}|${date}`);
}

/** The chain's hash after each line (index i: after line i). */
export function hashChain(genesis: string, lines: readonly string[]): string[] {
  const out: string[] = [];
  let h = genesis;
  for (const line of lines) {
    h = sha256Hex(`${h}\n${line}`);
    out.push(h);
  }
  return out;
}

/** JSON with object keys sorted at every level: stored items come back in any attribute order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const occurredOn = (date: string) => (e: OrderEvent) => newYorkDate(Date.parse(e.occurredAt)) === date;

/** Events in the order the day happened: time, then order id, then seq. */
function byTime(a: { e: OrderEvent }, b: { e: OrderEvent }): number {
  if (a.e.occurredAt !== b.e.occurredAt) return a.e.occurredAt < b.e.occurredAt ? -1 : 1;
  if (a.e.orderId !== b.e.orderId) return a.e.orderId < b.e.orderId ? -1 : 1;
  return a.e.seq - b.e.seq;
}

/**
 * The day's CAT records: every event of `streams` that occurred on New York date `date`, mapped by
 * catRecordsOf with its order's context (its submission, the submission it replaces or its parent's,
 * its fills so far), in time order.
 */
export function catDayRecords(
  date: string,
  reporterImid: string,
  streams: ReadonlyMap<string, CatOrderStream>,
): CatRecord[] {
  const submittedOf = (orderId: string): OrderSubmitted | undefined => {
    const first = streams.get(orderId)?.events[0];
    return first?.type === 'OrderSubmitted' ? first : undefined;
  };
  const day: { e: OrderEvent; records: CatRecord[] }[] = [];
  for (const [orderId, stream] of streams) {
    const submitted = submittedOf(orderId);
    if (submitted === undefined) continue; // not an order stream (nothing reportable without terms)
    let filledQty: string = submitted.data.carriedFilledQty;
    for (const e of stream.events) {
      if (occurredOn(date)(e) && CAT_EVENT_RULES[e.type].reportable) {
        const prior = submitted.data.replaces === null ? undefined : submittedOf(submitted.data.replaces);
        const parentId = submitted.data.contingency?.parentOrderId;
        const parent = parentId == null ? undefined : submittedOf(parentId);
        day.push({
          e,
          records: catRecordsOf(e, {
            reporterImid,
            accountId: stream.accountId,
            submitted,
            filledQty,
            ...(prior === undefined ? {} : { priorSubmitted: prior }),
            ...(parent === undefined ? {} : { parentSubmitted: parent }),
          }),
        });
      }
      if (e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled') filledQty = e.data.filledQty;
    }
  }
  return day.sort(byTime).flatMap((d) => d.records);
}

/** The stored events of the day (the archive), in time order. */
export function dayEvents(
  date: string,
  stored: readonly (OrderEvent & Record<string, unknown>)[],
): (OrderEvent & Record<string, unknown>)[] {
  return stored
    .filter(occurredOn(date))
    .map((e) => ({ e }))
    .sort(byTime)
    .map((x) => x.e as OrderEvent & Record<string, unknown>);
}

const asText = (lines: readonly string[]) => lines.map((l) => `${l}\n`).join('');

/**
 * The day's export: records file, archive file and manifest. `stored` are the event store's items
 * of the orders in `streams` (every attribute kept: the archive is the store's own record).
 */
export function buildCatDayExport(input: {
  readonly date: string;
  readonly reporterImid: string;
  readonly streams: ReadonlyMap<string, CatOrderStream>;
  readonly stored: readonly (OrderEvent & Record<string, unknown>)[];
}): CatDayExport {
  const { date, reporterImid } = input;
  if (!isCatDate(date)) throw new RangeError(`date: ${date} is not a date YYYY-MM-DD`);
  const records = catDayRecords(date, reporterImid, input.streams);
  const lines = records.map((r) => JSON.stringify(r));
  const archiveLines = dayEvents(date, input.stored).map(canonicalJson);
  const genesis = chainGenesis(reporterImid, date);
  const chain = hashChain(genesis, lines);
  const byType: Partial<Record<CatEventType, number>> = {};
  for (const r of records) {
    const t = r.type as CatEventType;
    byType[t] = (byType[t] ?? 0) + 1;
  }
  const keys = catKeys(reporterImid, date);
  const recordsText = asText(lines);
  const archiveText = asText(archiveLines);
  return {
    manifestKey: keys.manifest,
    manifest: {
      manifestVersion: CAT_MANIFEST_VERSION,
      specVersion: CAT_SPEC_VERSION,
      date,
      reporterImid,
      records: {
        key: keys.records,
        count: lines.length,
        byType,
        chain: { algorithm: 'SHA-256', genesis, final: chain.at(-1) ?? genesis },
        sha256: sha256Hex(recordsText),
      },
      archive: { key: keys.archive, count: archiveLines.length, sha256: sha256Hex(archiveText) },
    },
    records: recordsText,
    archive: archiveText,
  };
}

export function manifestText(manifest: CatManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The lines of a JSON-lines text (its final newline ends the last line; it does not start one). */
function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function firstDifference(
  name: string,
  stored: readonly string[],
  expected: readonly string[],
): string | null {
  const n = Math.max(stored.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (stored[i] === expected[i]) continue;
    if (stored[i] === undefined) return `${name}: line ${i + 1} is missing: ${expected[i]?.slice(0, 200)}`;
    if (expected[i] === undefined)
      return `${name}: line ${i + 1} is not in the event store: ${stored[i]?.slice(0, 200)}`;
    return `${name}: line ${i + 1} differs from the event store: stored ${stored[i]?.slice(0, 200)} expected ${expected[i]?.slice(0, 200)}`;
  }
  return null;
}

export interface CatVerification {
  readonly ok: boolean;
  /** What differs, each naming the file and, where it can, the line. Empty when ok. */
  readonly problems: readonly string[];
}

/**
 * Verifies a stored export against its manifest and against the export recomputed from the event
 * store now (`expected`): the manifest is the one recomputed (count, chain, hashes), each file's
 * SHA-256 and the records' hash chain are the manifest's, and every line is the recomputed one.
 */
export function verifyCatDayExport(
  stored: {
    readonly manifest: string | null;
    readonly records: string | null;
    readonly archive: string | null;
  },
  expected: CatDayExport,
): CatVerification {
  const problems: string[] = [];
  const m = expected.manifest;
  if (stored.manifest === null) problems.push(`${expected.manifestKey}: not found`);
  if (stored.records === null) problems.push(`${m.records.key}: not found`);
  if (stored.archive === null) problems.push(`${m.archive.key}: not found`);
  let manifest: CatManifest | null = null;
  if (stored.manifest !== null) {
    try {
      manifest = JSON.parse(stored.manifest) as CatManifest;
    } catch {
      problems.push(`${expected.manifestKey}: is not JSON`);
    }
  }
  if (manifest !== null) {
    if (stored.manifest !== manifestText(m))
      problems.push(
        `${expected.manifestKey}: differs from the manifest recomputed from the event store (stored ${manifest.records?.count} records, final hash ${manifest.records?.chain?.final}; recomputed ${m.records.count}, ${m.records.chain.final})`,
      );
    if (stored.records !== null) {
      const lines = linesOf(stored.records);
      const fileHash = sha256Hex(stored.records);
      if (fileHash !== manifest.records?.sha256)
        problems.push(
          `${m.records.key}: SHA-256 ${fileHash} is not the manifest's ${manifest.records?.sha256}`,
        );
      if (lines.length !== manifest.records?.count)
        problems.push(
          `${m.records.key}: ${lines.length} records, the manifest says ${manifest.records?.count}`,
        );
      const final =
        hashChain(manifest.records?.chain?.genesis ?? '', lines).at(-1) ?? manifest.records?.chain?.genesis;
      if (final !== manifest.records?.chain?.final)
        problems.push(
          `${m.records.key}: hash chain ends in ${final}, the manifest's is ${manifest.records?.chain?.final}`,
        );
    }
    if (stored.archive !== null) {
      const fileHash = sha256Hex(stored.archive);
      if (fileHash !== manifest.archive?.sha256)
        problems.push(
          `${m.archive.key}: SHA-256 ${fileHash} is not the manifest's ${manifest.archive?.sha256}`,
        );
    }
  }
  if (stored.records !== null) {
    const d = firstDifference(m.records.key, linesOf(stored.records), linesOf(expected.records));
    if (d !== null) problems.push(d);
  }
  if (stored.archive !== null) {
    const d = firstDifference(m.archive.key, linesOf(stored.archive), linesOf(expected.archive));
    if (d !== null) problems.push(d);
  }
  return { ok: problems.length === 0, problems };
}
