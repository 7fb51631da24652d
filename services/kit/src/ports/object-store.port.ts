/**
 * ObjectStore: immutable-ish blobs by key (archives, statements, snapshots). Keys are `/`-separated paths of
 * non-empty segments (no `.` or `..` segments, no leading `/`). Listing is in byte order of the UTF-8 key, paginated.
 */

export interface PutOptions {
  readonly contentType?: string;
  /** small string metadata (S3 user metadata: lowercase ASCII names) */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ObjectHead extends ObjectInfo {
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface StoredObject extends ObjectHead {
  readonly body: Uint8Array;
}

export interface ListOptions {
  /** at most this many keys per page (default 1000) */
  readonly limit?: number;
  /** from the previous page's `cursor` */
  readonly cursor?: string;
}

export interface ObjectPage {
  readonly items: readonly ObjectInfo[];
  /** present when there may be more */
  readonly cursor?: string;
}

export interface ObjectStore {
  /** Creates the bucket / directory; idempotent. */
  ensure(): Promise<void>;
  /** Atomic: a reader sees the old object or the new one, never a part. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<void>;
  get(key: string): Promise<StoredObject | undefined>;
  head(key: string): Promise<ObjectHead | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ObjectPage>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * A URL anyone holding it can GET the object from until `expiresInSec` passes (S3: a SigV4 pre-signed URL; the
   * directory store: a signed path served by objectDownloadRoute, relative unless the store knows its public URL).
   */
  presign(key: string, options: { readonly expiresInSec: number; readonly downloadName?: string }): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export function assertObjectKey(key: string): void {
  if (key.length === 0 || key.length > 1024) throw new Error(`object key must be 1..1024 characters`);
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") throw new Error(`invalid object key "${key}"`);
  }
}

/** Byte order of the UTF-8 encoding, the order S3 lists keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
