package be.audiencematch.consent;

import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.Buckets;
import be.audiencematch.kernel.KeySpace;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Where the base's bucket keys live (docs/scaling.md, "Placement"): a record bucket and the consent times beside it,
 * an index bucket and a household bucket each in the shard of its bucket, bucket mod S; a subscriber's home shard is
 * its record bucket's. Each key is made once: a bulk load names every bucket many times. Public for the tests' reads
 * of Redis as an auditor would make them (support/Inspector), which must find every key where the service put it.
 */
public final class BucketKeys {

    private final KeySpace keySpace;
    private final Buckets buckets;
    private final Buckets householdBuckets;
    private final AtomicReferenceArray<byte[]> recordKeys;
    private final AtomicReferenceArray<byte[]> emailIndexKeys;
    private final AtomicReferenceArray<byte[]> phoneIndexKeys;
    private final AtomicReferenceArray<byte[]> householdKeys;
    private final AtomicReferenceArray<byte[]> consentTimesKeys;

    public BucketKeys(KeySpace keySpace, Buckets buckets, Buckets householdBuckets) {
        this.keySpace = keySpace;
        this.buckets = buckets;
        this.householdBuckets = householdBuckets;
        int size = 1 << buckets.bits();
        this.recordKeys = new AtomicReferenceArray<>(size);
        this.emailIndexKeys = new AtomicReferenceArray<>(size);
        this.phoneIndexKeys = new AtomicReferenceArray<>(size);
        this.householdKeys = new AtomicReferenceArray<>(1 << householdBuckets.bits());
        this.consentTimesKeys = new AtomicReferenceArray<>(size);
    }

    /** A subscriber's shard: its record bucket's. */
    public int homeShard(String subscriberId) {
        return buckets.ofId(subscriberId) % keySpace.shards();
    }

    /** The shard of a household's member list: its bucket's. */
    int householdShard(String householdId) {
        return householdBuckets.ofId(householdId) % keySpace.shards();
    }

    /**
     * The shard holding the key named {@code name} after a shard's prefix: an index bucket's ({@code ix:e:1a2b}) or a
     * household bucket's ({@code hh:00ff}).
     */
    int shardOfName(String name) {
        int shards = keySpace.shards();
        if (shards == 1) {
            return 0;
        }
        if (name.startsWith("ix:")) {
            return buckets.parse(name.substring(5)) % shards;
        }
        if (name.startsWith("hh:")) {
            return householdBuckets.parse(name.substring(3)) % shards;
        }
        throw new IllegalArgumentException("not a bucket's key: " + name.length() + " characters");
    }

    public byte[] recordKey(int bucket) {
        return cached(recordKeys, buckets, bucket, "sub:");
    }

    public byte[] indexKey(IdentifierType type, int bucket) {
        return type == IdentifierType.EMAIL_SHA256 ? cached(emailIndexKeys, buckets, bucket, "ix:e:")
                : cached(phoneIndexKeys, buckets, bucket, "ix:p:");
    }

    /** When each consent of the subscribers of a record bucket last changed, for those that have their own entry. */
    byte[] consentTimesKey(int bucket) {
        return cached(consentTimesKeys, buckets, bucket, "consent-times:");
    }

    public byte[] householdKey(int bucket) {
        return cached(householdKeys, householdBuckets, bucket, "hh:");
    }

    private byte[] cached(AtomicReferenceArray<byte[]> keys, Buckets naming, int bucket, String family) {
        byte[] k = keys.get(bucket);
        if (k == null) {
            k = keySpace.shard(bucket % keySpace.shards()).key(family + naming.name(bucket));
            keys.set(bucket, k);
        }
        return k;
    }
}
