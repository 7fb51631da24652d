/**
 * ObjectStore on Amazon S3 (@aws-sdk/client-s3). `endpoint` + path-style addressing point it at moto or MinIO in
 * tests; without them it talks to AWS with the SDK's default credential chain. `ensure()` creates the bucket if
 * it is missing (idempotent; in production the bucket usually comes from infrastructure code and already exists).
 */
import {
  S3Client,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type BucketLocationConstraint,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  assertObjectKey,
  DEFAULT_CONTENT_TYPE,
  type ListOptions,
  type ObjectHead,
  type ObjectPage,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from "../ports/object-store.port.js";

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  readonly region?: string;
  /** e.g. http://127.0.0.1:55000 for moto; omitted for AWS */
  readonly endpoint?: string;
  /** default: true when an endpoint is given */
  readonly forcePathStyle?: boolean;
  /** prepended to every key (several stores in one bucket) */
  readonly prefix?: string;
}

export class S3ObjectStore implements ObjectStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly region: string;

  constructor(options: S3ObjectStoreOptions) {
    this.region = options.region ?? process.env.AWS_REGION ?? "us-east-1";
    this.s3 = new S3Client({
      region: this.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    });
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? "";
  }

  async ensure(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (status(error) !== 404 && name(error) !== "NotFound") throw error;
    }
    try {
      await this.s3.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          CreateBucketConfiguration: this.region === "us-east-1" ? undefined : { LocationConstraint: this.region as BucketLocationConstraint },
        }),
      );
    } catch (error) {
      if (name(error) !== "BucketAlreadyOwnedByYou") throw error;
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    assertObjectKey(key);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: typeof body === "string" ? Buffer.from(body, "utf8") : body,
        ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
        Metadata: options.metadata ? { ...options.metadata } : undefined,
      }),
    );
  }

  async get(key: string): Promise<StoredObject | undefined> {
    assertObjectKey(key);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return {
        key,
        size: body.length,
        lastModified: out.LastModified ?? new Date(),
        contentType: out.ContentType ?? DEFAULT_CONTENT_TYPE,
        metadata: { ...out.Metadata },
        body,
      };
    } catch (error) {
      if (name(error) === "NoSuchKey" || status(error) === 404) return undefined;
      throw error;
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    assertObjectKey(key);
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(),
        contentType: out.ContentType ?? DEFAULT_CONTENT_TYPE,
        metadata: { ...out.Metadata },
      };
    } catch (error) {
      if (name(error) === "NotFound" || status(error) === 404) return undefined;
      throw error;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ObjectPage> {
    const limit = options.limit ?? 1000;
    const out = await this.s3.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.prefix + prefix,
        MaxKeys: limit,
        StartAfter: options.cursor === undefined ? undefined : this.prefix + options.cursor,
      }),
    );
    const items = (out.Contents ?? []).map((o) => ({
      key: (o.Key ?? "").slice(this.prefix.length),
      size: o.Size ?? 0,
      lastModified: o.LastModified ?? new Date(),
    }));
    return out.IsTruncated && items.length > 0 ? { items, cursor: items[items.length - 1].key } : { items };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }

  async presign(key: string, options: { expiresInSec: number; downloadName?: string }): Promise<string> {
    assertObjectKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.prefix + key,
      ResponseContentDisposition: options.downloadName ? `attachment; filename="${options.downloadName.replace(/[^\w.-]/g, "_")}"` : undefined,
    });
    return getSignedUrl(this.s3, command, { expiresIn: options.expiresInSec });
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }
}

function name(error: unknown): string | undefined {
  return (error as { name?: string }).name;
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
