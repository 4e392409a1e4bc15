/**
 * What the Lambda bundles carry in place of `@aws-sdk/signature-v4-multi-region` (lib/bundling.json
 * `alias`, bundles only: tests and local mode run the SDK as published). The EventBridge and S3
 * clients sign with its `SignatureV4MultiRegion`, which signs SigV4 for a region, as every other
 * client does, and SigV4a only for the signing region `*` (an EventBridge global endpoint, that is
 * a PutEvents with an `EndpointId`; an S3 Multi-Region Access Point). The OMS uses neither, and
 * SigV4a needs `@aws-sdk/signature-v4-crt` or `@aws-sdk/signature-v4a`, which it does not install:
 * there the SDK's class throws. Its SigV4a paths and their messages are about 3 KB of every bundle
 * with an EventBridge or S3 client.
 *
 * Here: the same SigV4 signing (`SignatureV4SignWithCredentials` as the SDK writes it, which S3
 * Express also uses), and the signing region `*` fails with the SDK's own message for a Node
 * runtime without either package. test/platform/sigv4-one-region.test.ts checks both against the
 * published classes.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  HttpRequest,
  RequestPresigningArguments,
  RequestSigningArguments,
} from '@smithy/types';

type SignatureV4Init = ConstructorParameters<typeof SignatureV4>[0];

export const SESSION_TOKEN_QUERY_PARAM = 'X-Amz-S3session-Token';
export const SESSION_TOKEN_HEADER = SESSION_TOKEN_QUERY_PARAM.toLowerCase();

/** As the SDK's: a registration point for the CRT signer, which the OMS never registers. */
export const signatureV4CrtContainer: { CrtSignerV4: null } = { CrtSignerV4: null };

/** The SDK's message when neither SigV4a implementation is loaded (Node runtime). */
export const NO_SIGV4A =
  'Neither CRT nor JS SigV4a implementation is available. ' +
  'Please load either @aws-sdk/signature-v4-crt or @aws-sdk/signature-v4a. ' +
  'For more information please go to ' +
  'https://github.com/aws/aws-sdk-js-v3#functionality-requiring-aws-common-runtime-crt';

interface SignerInternals {
  credentialProvider: () => Promise<AwsCredentialIdentity>;
  signRequest(request: HttpRequest, options: RequestSigningArguments): Promise<HttpRequest>;
}

/** The signature with the credentials given (S3 Express session credentials), as the SDK's. */
export class SignatureV4SignWithCredentials extends SignatureV4 {
  async signWithCredentials(
    requestToSign: HttpRequest,
    credentials: AwsCredentialIdentity,
    options?: RequestSigningArguments,
  ): Promise<HttpRequest> {
    const withoutToken = credentialsWithoutSessionToken(credentials);
    requestToSign.headers[SESSION_TOKEN_HEADER] = credentials.sessionToken as string;
    const internals = this as unknown as SignerInternals;
    setSingleOverride(internals, withoutToken);
    return internals.signRequest(requestToSign, options ?? {});
  }

  async presignWithCredentials(
    requestToSign: HttpRequest,
    credentials: AwsCredentialIdentity,
    options?: RequestPresigningArguments,
  ): Promise<HttpRequest> {
    const withoutToken = credentialsWithoutSessionToken(credentials);
    delete requestToSign.headers[SESSION_TOKEN_HEADER];
    requestToSign.headers[SESSION_TOKEN_QUERY_PARAM] = credentials.sessionToken as string;
    requestToSign.query = requestToSign.query ?? {};
    requestToSign.query[SESSION_TOKEN_QUERY_PARAM] = credentials.sessionToken as string;
    setSingleOverride(this as unknown as SignerInternals, withoutToken);
    return this.presign(requestToSign, options);
  }
}

function credentialsWithoutSessionToken(credentials: AwsCredentialIdentity): AwsCredentialIdentity {
  return {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    expiration: credentials.expiration,
  };
}

function setSingleOverride(internals: SignerInternals, credentials: AwsCredentialIdentity): void {
  const current = internals.credentialProvider;
  internals.credentialProvider = () => {
    internals.credentialProvider = current;
    return Promise.resolve(credentials);
  };
}

const sigv4aUnavailable = (): never => {
  throw new Error(NO_SIGV4A);
};

/** Same name and members as the SDK's; SigV4 only. */
export class SignatureV4MultiRegion {
  private readonly sigv4Signer: SignatureV4SignWithCredentials;

  static sigv4aDependency(): 'none' {
    return 'none';
  }

  constructor(options: SignatureV4Init) {
    this.sigv4Signer = new SignatureV4SignWithCredentials(options);
  }

  async sign(requestToSign: HttpRequest, options: RequestSigningArguments = {}): Promise<HttpRequest> {
    if (options.signingRegion === '*') return sigv4aUnavailable();
    return this.sigv4Signer.sign(requestToSign, options);
  }

  async signWithCredentials(
    requestToSign: HttpRequest,
    credentials: AwsCredentialIdentity,
    options: RequestSigningArguments = {},
  ): Promise<HttpRequest> {
    if (options.signingRegion === '*') return sigv4aUnavailable();
    return this.sigv4Signer.signWithCredentials(requestToSign, credentials, options);
  }

  async presign(
    originalRequest: HttpRequest,
    options: RequestPresigningArguments = {},
  ): Promise<HttpRequest> {
    if (options.signingRegion === '*') return sigv4aUnavailable();
    return this.sigv4Signer.presign(originalRequest, options);
  }

  async presignWithCredentials(
    originalRequest: HttpRequest,
    credentials: AwsCredentialIdentity,
    options: RequestPresigningArguments = {},
  ): Promise<HttpRequest> {
    if (options.signingRegion === '*')
      throw new Error('Method presignWithCredentials is not supported for [signingRegion=*].');
    return this.sigv4Signer.presignWithCredentials(originalRequest, credentials, options);
  }
}
