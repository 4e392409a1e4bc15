/**
 * The queries infra tests make of a synthesized template's resources (by type, a function by its
 * Powertools service name, the IAM statements of a function's role, the logical ids a statement's
 * Resource names). No CDK here: a file that reads the run's one synthesis (synthesized.ts) loads none.
 */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
export type Json = Record<string, any>;

export const refId = (v: unknown): string | undefined => (v as { Ref?: string } | undefined)?.Ref;
export const getAttId = (v: unknown): string | undefined =>
  (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
export const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Logical ids (with attribute) a statement's Resource names. */
export function resourceRefs(statement: Json): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const ga = (v as Json)['Fn::GetAtt'];
      if (ga) out.push(`${ga[0]}.${ga[1]}`);
      else if ((v as Json).Ref) out.push(`${(v as Json).Ref}.Ref`);
      else Object.values(v).forEach(walk);
    }
  };
  walk(statement.Resource);
  return out;
}

/** Queries over the resources `get` returns (read when called: set them in a `beforeAll`). */
export function templateQueries(get: () => Record<string, Json>) {
  const ofType = (type: string): [string, Json][] =>
    Object.entries(get()).filter(([, r]) => r.Type === type) as [string, Json][];
  return {
    ofType,
    /** The one function whose Powertools service name is `service`. */
    functionId(service: string): string {
      const ids = ofType('AWS::Lambda::Function')
        .filter(([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service)
        .map(([id]) => id);
      expect(ids).toHaveLength(1);
      return ids[0] as string;
    },
    /** Every statement of the policies attached to the function's role. */
    statementsOf(fnId: string): Json[] {
      const roleId = getAttId(get()[fnId]?.Properties.Role);
      return ofType('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refId(r) === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    },
  };
}
