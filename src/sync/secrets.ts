// Passwords travel through the outbox encrypted (AES-256-GCM), only for targets that want them, and are erased
// once delivered or dead. Layout: 12-byte IV | 16-byte tag | ciphertext.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export class SecretBox {
  private readonly key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("the outbox key must be 32 bytes (AES-256)");
    this.key = key;
  }

  /** Accepts 64 hex characters or base64 of 32 bytes. */
  static fromString(s: string): SecretBox {
    const key = /^[0-9a-f]{64}$/i.test(s) ? Buffer.from(s, "hex") : Buffer.from(s, "base64");
    return new SecretBox(key);
  }

  seal(plain: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  open(sealed: Buffer): string {
    const d = createDecipheriv("aes-256-gcm", this.key, sealed.subarray(0, 12));
    d.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString("utf8");
  }
}
