package be.audiencematch.identity;

/** What one uploaded row turned out to be. */
public enum RowKind {
    /** An empty line: skipped, not counted. */
    BLANK,
    /** 64 hex characters: a digest we can use. */
    VALID,
    /** Neither a digest nor recognisable clear text. */
    INVALID,
    /** Looks like a clear-text e-mail address or phone number: invalid, and counted apart so the sender learns. */
    PLAINTEXT
}
