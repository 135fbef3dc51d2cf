/** The incremental hash both hosts provide. */

/** SHA-256 fed piece by piece; strings are hashed as UTF-8. */
export interface Hasher {
  /** Adds bytes or a string. */
  update(data: Uint8Array | string): Hasher;
  /** The hex digest of everything added. */
  digest(): string;
}
