package be.audiencematch.eligibility;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The tag a household goes by in the change stream and in this replica's household cache: the first 8 bytes of
 * HMAC-SHA1(view key, household id), as {@code view_household_tags} in view_lib.lua computes it (SHA-1 because
 * that is the hash Redis' Lua offers; as a keyed PRF it is sound). The view key is 32 random bytes kept in Redis
 * ({@code {p}view:key}); without it a tag names no household, where a plain hash of an id could be reversed by
 * trying ids (docs/architecture.md, "Eligibility view").
 */
final class HouseholdTags {

    static final int TAG_BYTES = be.audiencematch.changes.ChangeEntryFormat.TAG_BYTES;
    static final int KEY_ID_BYTES = be.audiencematch.changes.ChangeEntryFormat.KEY_ID_BYTES;

    private final SecretKeySpec key;
    private final byte[] keyId;
    /** A Mac per thread: the hot path tags the household it is asked about on any event loop. */
    private final ThreadLocal<Mac> macs;

    HouseholdTags(byte[] viewKey) {
        this.key = new SecretKeySpec(viewKey, "HmacSHA1");
        try {
            this.keyId = Arrays.copyOf(MessageDigest.getInstance("SHA-1").digest(viewKey), KEY_ID_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-1 unavailable", e);
        }
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }

    long of(String householdId) {
        byte[] mac = macs.get().doFinal(householdId.getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(mac).getLong();
    }

    /** Whether a change entry's tags, made with the key of id {@code entryKeyId}, were made with this key. */
    boolean sameKey(byte[] entryKeyId) {
        return Arrays.equals(entryKeyId, keyId);
    }
}
