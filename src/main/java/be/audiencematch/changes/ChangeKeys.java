package be.audiencematch.changes;

import be.audiencematch.kernel.KeySpace;

/**
 * Where the change stream lives (see docs/architecture.md, "Eligibility view"): every write that changes what
 * eligibility reads appends an entry there, in the same script as the write, numbered by {@code seq} without gaps.
 * <pre>
 *   {p}view:seq       string  the newest change number
 *   {p}view:changes   stream  entries with field n, the change number (trimmed once every replica applied them)
 *   {p}view:leases    zset    replica id → lease end (ms, Redis' clock)
 *   {p}view:applied   hash    replica id → the change number its view has applied
 *   {p}view:key       string  32 random bytes: the key of the household tags entries carry instead of ids
 * </pre>
 */
public record ChangeKeys(byte[] seq, byte[] stream, byte[] leases, byte[] applied, byte[] viewKey) {

    /** Made by {@link ChangeLog} only: writers get the keys from {@link SettledWrites#write}, readers from the log. */
    static ChangeKeys of(KeySpace.Keys shard) {
        return new ChangeKeys(shard.key("view:seq"), shard.key("view:changes"), shard.key("view:leases"),
                shard.key("view:applied"), shard.key("view:key"));
    }
}
