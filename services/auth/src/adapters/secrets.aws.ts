import { randomBytes } from "node:crypto";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { MasterKey, Secrets } from "../ports/secrets.port.js";
import { parseMasterKey } from "./secrets.file.js";

/**
 * AWS mode: the master key is a Secrets Manager secret (SecretString = base64 of 32 bytes).
 * Created on first start when missing, as every adapter creates what it needs.
 */
export class AwsSecrets implements Secrets {
  private cached?: Promise<MasterKey>;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  masterKey(): Promise<MasterKey> {
    this.cached ??= this.load().catch((error: unknown) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  private async load(): Promise<MasterKey> {
    const existing = await this.read();
    if (existing) return existing;
    try {
      await this.client.send(new CreateSecretCommand({ Name: this.secretId, SecretString: randomBytes(32).toString("base64"), Description: "exchange auth master key (envelope encryption of API secrets)" }));
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
    }
    const created = await this.read();
    if (!created) throw new Error(`secret ${this.secretId} could not be read after creation`);
    return created;
  }

  private async read(): Promise<MasterKey | undefined> {
    try {
      const value = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      if (!value.SecretString) throw new Error(`secret ${this.secretId} has no SecretString`);
      return parseMasterKey(value.SecretString, `secret ${this.secretId}`);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
