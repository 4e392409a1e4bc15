/**
 * The trading dashboard on AWS (issue 14): the page's static files (dashboard/ and uPlot's two dist
 * files under vendor/) in a private S3 bucket, served by CloudFront through Origin Access Control,
 * with the API on the same origin so the page calls `/v2/*` and `/stream` as it does in local mode:
 * - default behaviour: the bucket (index.html at `/`), HTTPS only, security headers;
 * - `/v2/*`: the HTTP API, every method, the Alpaca key headers, `Content-Type` and
 *   `Idempotency-Key` and every query string forwarded, nothing cached;
 * - `/stream`: the trade_updates WebSocket API, when one is given (`streamOrigin`, or
 *   `routeStream` later): the stream construct is built separately and plugs in here.
 * CloudFront's and the bucket's access logs go to a logs bucket. The page's files are cached at
 * the edge for at most 5 minutes (a deploy shows within that, with no invalidation: an invalidation
 * grant has no resource-level scope, `cloudfront:CreateInvalidation` on "*").
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  type IOrigin,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

const ROOT = join(__dirname, '..');
/** The page's own files; its README is documentation, not content. */
export const DASHBOARD_DIR = join(ROOT, 'dashboard');
/** uPlot's dist: only its minified IIFE build and stylesheet are deployed (under `vendor/`). */
export const UPLOT_DIST = join(ROOT, 'node_modules', 'uplot', 'dist');
export const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'] as const;

/** The headers the API needs from the page (the key pair; a POST's body type; an idempotency key). */
export const FORWARDED_API_HEADERS = [
  'APCA-API-KEY-ID',
  'APCA-API-SECRET-KEY',
  'Content-Type',
  'Idempotency-Key',
] as const;

export interface DashboardProps {
  /** The HTTP API the page calls at `/v2/*` (its `$default` stage). */
  readonly api: HttpApi;
  /**
   * The trade_updates WebSocket API's origin for `/stream` (e.g. `Dashboard.webSocketOrigin`).
   * Absent: `/stream` is not routed (the page then polls), until `routeStream` adds it.
   */
  readonly streamOrigin?: IOrigin;
}

export class Dashboard extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly logsBucket: Bucket;

  /**
   * An API Gateway WebSocket API's stage as a CloudFront origin (HTTPS; CloudFront carries the
   * WebSocket upgrade). The stream construct passes its API id and stage.
   */
  static webSocketOrigin(scope: Construct, apiId: string, stageName: string): IOrigin {
    const stack = Stack.of(scope);
    return new HttpOrigin(`${apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      originPath: `/${stageName}`,
    });
  }

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logsBucket = new Bucket(this, 'LogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket receives the dashboard's access logs (CloudFront and the site bucket); logging it would recurse.",
    });

    this.bucket = new Bucket(this, 'SiteBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      // The files are a build output, redeployed from the repository: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const apiDomain = `${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    const apiRequests = new OriginRequestPolicy(this, 'ApiRequests', {
      comment: 'OMS dashboard -> HTTP API: the Alpaca key headers and every query string',
      headerBehavior: OriginRequestHeaderBehavior.allowList(...FORWARDED_API_HEADERS),
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
    });

    const pages = new CachePolicy(this, 'PageCache', {
      comment: 'OMS dashboard files: short edge TTLs so a deploy shows without an invalidation',
      defaultTtl: Duration.minutes(1),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.minutes(5),
      headerBehavior: CacheHeaderBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      cookieBehavior: CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'stock-bot OMS trading dashboard',
      defaultRootObject: 'index.html',
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        cachePolicy: pages,
      },
      additionalBehaviors: {
        '/v2/*': {
          origin: new HttpOrigin(apiDomain),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: apiRequests,
        },
      },
    });
    if (props.streamOrigin !== undefined) this.routeStream(props.streamOrigin);

    // The deployment's function: its own role (no AWS managed policy) writing to its own log group.
    const deployLogs = new LogGroup(this, 'DeployLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deployRole = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: "Copies the dashboard's files into its bucket and invalidates the distribution",
    });
    deployLogs.grantWrite(deployRole);
    const page = new BucketDeployment(this, 'DeployPage', {
      destinationBucket: this.bucket,
      sources: [Source.asset(DASHBOARD_DIR, { exclude: ['README.md'] })],
      // Keeps vendor/ (the next deployment's) out of this one's pruning.
      exclude: ['vendor/*'],
      role: deployRole,
      logGroup: deployLogs,
      memoryLimit: 256,
    });
    const vendor = new BucketDeployment(this, 'DeployVendor', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'vendor/',
      sources: [Source.asset(UPLOT_DIST, { exclude: ['*', ...UPLOT_FILES.map((f) => `!${f}`)] })],
      role: deployRole,
      logGroup: deployLogs,
      memoryLimit: 256,
    });
    vendor.node.addDependency(page);
    this.acknowledge(deployRole);
  }

  /** Routes `/stream` (the trade_updates WebSocket) to `origin`: the hook for the stream construct. */
  routeStream(origin: IOrigin): void {
    // API Gateway serves a WebSocket stage at `/<stage>` only: the viewer's `/stream` becomes `/`
    // (then the origin path `/<stage>`) on its way to the origin.
    const toStage = new CloudFrontFunction(this, 'StreamPath', {
      comment: 'trade_updates: /stream -> the WebSocket stage root',
      code: FunctionCode.fromInline(
        'function handler(event) { var r = event.request; if (r.uri === "/stream") r.uri = "/"; return r; }',
      ),
    });
    this.distribution.addBehavior('/stream', origin, {
      functionAssociations: [{ function: toStage, eventType: FunctionEventType.VIEWER_REQUEST }],
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // The WebSocket handshake's headers (Sec-WebSocket-*), except Host (API Gateway's own).
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    });
  }

  private acknowledge(deployRole: Role): void {
    const stack = Stack.of(this);
    const distribution = this.distribution;
    Validations.of(distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'No geo restriction: the dashboard is for the desk wherever it sits; every API call behind it needs a key pair.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL in this environment-agnostic stack (a CloudFront ACL must live in us-east-1): the API ' +
          'behind /v2/* authenticates every request and API Gateway throttles it; add an ACL per deployment.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate (no custom domain in this stack) cannot pin a minimum TLS ' +
          'version; with a custom domain and certificate, set minimumProtocolVersion TLSv1.2_2021.',
      },
    );
    const siteBucket = stack.getLogicalId(this.bucket.node.defaultChild as never);
    Validations.of(deployRole).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason:
          "CDK's BucketDeployment reads the page's asset zips from the CDK bootstrap assets bucket (generated keys).",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${siteBucket}.Arn>/*]`,
        reason: "BucketDeployment writes and prunes the page's files, any key, in the site bucket only.",
      },
      ...(
        [
          ['s3:GetObject*', 'reads its source assets'],
          ['s3:GetBucket*', 'reads the assets and site buckets'],
          ['s3:List*', 'lists the site bucket to sync and prune it'],
          ['s3:DeleteObject*', 'prunes files the page no longer has'],
          ['s3:Abort*', 'aborts failed multipart uploads'],
        ] as const
      ).map(([action, why]) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `CDK's BucketDeployment ${why} (its own grant, limited to those two buckets).`,
      })),
    );
    // BucketDeployment's function is a stack-level singleton (CDK's, Python): its runtime is CDK's choice.
    for (const child of stack.node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        Validations.of(child).acknowledge({
          id: 'AwsSolutions-L1',
          reason:
            "CDK's BucketDeployment handler (a singleton CDK owns) pins its own Python runtime; CDK upgrades move it.",
        });
      }
    }
  }
}
