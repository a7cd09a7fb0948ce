package be.audiencematch.changes;

import be.audiencematch.kernel.KeySpace;

/**
 * Where one change stream lives (see docs/architecture.md, "Eligibility view"): every write that changes what
 * eligibility reads appends an entry to the stream of the keys it wrote, in the same script as the write, numbered by
 * that stream's {@code seq} without gaps. A base of one shard has one stream; a base of S shards has one per shard and
 * one on the global keys, for the campaigns (docs/scaling.md, "Change streams and read-your-writes").
 * <pre>
 *   {p}view:seq       string  the newest change number
 *   {p}view:changes   stream  entries with field n, the change number (trimmed once every replica applied them)
 *   {p}view:leases    zset    replica id → lease end (ms, Redis' clock)
 *   {p}view:applied   hash    replica id → the change number its view has applied
 *   {p}view:key       string  32 random bytes: the key of the household tags entries carry instead of ids, the same
 *                             in every stream's keys
 * </pre>
 *
 * @param where  the keys the stream is among (a shard's, or the global ones), whose slot every call names
 * @param shard  the shard whose subscriber numbers the entries carry; -1 for the global stream of a sharded base,
 *               whose entries name no subscriber
 * @param shards how many shards the base has
 */
public record ChangeKeys(byte[] seq, byte[] stream, byte[] leases, byte[] applied, byte[] viewKey,
                         KeySpace.Keys where, int shard, int shards) {

    /** Made by {@link ChangeLog} only: writers get the keys from {@link SettledWrites#write}, readers from the log. */
    static ChangeKeys of(KeySpace.Keys where, int shard, int shards) {
        return new ChangeKeys(where.key("view:seq"), where.key("view:changes"), where.key("view:leases"),
                where.key("view:applied"), where.key("view:key"), where, shard, shards);
    }

    /** The slot every call on this stream's keys names. */
    public int slot() {
        return where.slot();
    }

    /**
     * The global subscriber number of the number {@code local} an entry of this stream carries: l × S + s
     * (docs/scaling.md, "Numbers"); the number itself in a base of one shard.
     */
    public int global(int local) {
        if (shard < 0) {
            throw new IllegalStateException("the global change stream names no subscriber");
        }
        return shards == 1 ? local : (int) ((local & 0xffffffffL) * shards + shard);
    }
}
