package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static be.audiencematch.support.LuaLibs.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Subscriber records have one owner per language: consent/SubscriberRecordFormat in Java (the tails a bulk load and
 * a PUT send) and record_lib.lua in Lua (the number put in front, and every script's reading of a record). On a real
 * Redis the Lua side takes apart a record built from the Java side's tail, and the Java side reads the record the
 * Lua side stored: with and without a household, at 16 bucket bits and beyond (the count byte's top bits), and with
 * a number past 2^31.
 */
class SubscriberRecordFormatTest {

    private static final byte[] RECORDS = bytes("t:sub:0001");
    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static Subscriber subscriber(String household) {
        return new Subscriber("sub-1", List.of(
                HashedIdentifier.ofHex(IdentifierType.EMAIL_SHA256, "a3f0" + "5c".repeat(30)),
                HashedIdentifier.ofHex(IdentifierType.PHONE_SHA256, "00ff" + "81".repeat(30))),
                household, new Consents(true, false, true));
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 16, 17, 20})
    void eachSideReadsTheOthersRecord(int bucketBits) {
        for (String household : new String[] {"hh-42", null}) {
            SubscriberStore store = new SubscriberStore(null, KeySpace.of("t:", false, 1), bucketBits);
            Subscriber s = subscriber(household);
            BulkChunk chunk = store.bulkChunk(1, null);
            chunk.add(s);
            byte[] tail = chunk.recordTail(0);
            long number = 3_000_000_000L;

            // Lua: make the record from the Java tail, store it, and take the stored one apart.
            List<Object> parts = lua.eval("""
                    redis.call('HSET', KEYS[1], 'sub-1', record_new(tonumber(ARGV[1]), ARGV[2]))
                    local rec = redis.call('HGET', KEYS[1], 'sub-1')
                    local high, low, hh, hh_len = record_household(rec)
                    local count, extra, first = record_identifiers(rec)
                    local out = { tostring(record_number(rec)), high * 256 + low, hh, hh_len, count, extra,
                      record_tail(rec) == ARGV[2] and 1 or 0, record_number4(rec) }
                    for k = 1, count do
                      local kind, h, l, field = record_identifier(rec, first, k)
                      out[#out + 1] = kind; out[#out + 1] = h * 256 + l; out[#out + 1] = field
                    end
                    return out
                    """, ScriptOutputType.MULTI, new byte[][] {RECORDS},
                    new byte[][] {bytes(Long.toString(number)), tail}, "record_lib");

            int householdBucket = household == null ? 0 : store.householdBuckets().ofId(household);
            List<Object> expected = new ArrayList<>(List.of(Long.toString(number), (long) householdBucket,
                    household == null ? "" : household, (long) (household == null ? 0 : household.length()),
                    2L, (long) store.buckets().extraBits(), 1L, "b2d05e00"));
            List<SubscriberRecordFormat.Identifier> identifiers = new ArrayList<>();
            for (HashedIdentifier identifier : s.identifiers()) {
                int stored = store.buckets().stored(store.buckets().ofDigest(identifier.digest()));
                byte[] field = Arrays.copyOfRange(identifier.digest(), IndexEntryFormat.FIELD_OFFSET,
                        IndexEntryFormat.FIELD_OFFSET + IndexEntryFormat.FIELD_BYTES);
                expected.add(String.valueOf((char) identifier.type().code()));
                expected.add((long) stored);
                expected.add(HexFormat.of().formatHex(field));
                identifiers.add(new SubscriberRecordFormat.Identifier((char) identifier.type().code(), stored, field));
            }
            assertEquals(expected, readable(parts));

            // Java: read back the record the Lua side stored.
            byte[] stored = lua.redis().hget(RECORDS, bytes("sub-1"));
            assertEquals(new SubscriberRecordFormat.Record(number, householdBucket, household,
                    store.buckets().extraBits(), identifiers), SubscriberRecordFormat.decode(stored));
            assertArrayEquals(tail, Arrays.copyOfRange(stored, SubscriberRecordFormat.NUMBER_BYTES, stored.length));
        }
    }

    /** Script answers as comparable values: text as text, the 4-byte number and fields as hex. */
    private static List<Object> readable(List<Object> parts) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            Object part = parts.get(i);
            boolean binary = i == 7 || (i > 8 && (i - 8) % 3 == 2);
            out.add(part instanceof byte[] b ? (binary ? HexFormat.of().formatHex(b) : new String(b,
                    java.nio.charset.StandardCharsets.US_ASCII)) : part);
        }
        return out;
    }

    /**
     * A PUT names the keys its record links to before the script reads it (subscriber_upsert.lua declares its keys):
     * the names Java computes are the ones the Lua side finds in the record, or every PUT would take two calls.
     */
    @ParameterizedTest
    @ValueSource(ints = {12, 16, 17, 20})
    void javaNamesTheBucketsLuaFindsInTheRecord(int bucketBits) {
        for (String household : new String[] {"hh-42", null}) {
            SubscriberStore store = new SubscriberStore(null, KeySpace.of("t:", false, 1), bucketBits);
            Subscriber s = subscriber(household);
            BulkChunk chunk = store.bulkChunk(1, null);
            chunk.add(s);
            List<Object> names = lua.eval("return trace_names(record_new(7, ARGV[1]), {})", ScriptOutputType.MULTI,
                    new byte[0][], new byte[][] {chunk.recordTail(0)}, "record_lib", "consent_lib", "subscriber_lib");
            assertEquals(store.linkNames(s), names.stream().map(n -> new String((byte[]) n)).toList(),
                    bucketBits + " bits, household " + household);
            // And those a sharded write finds in a stored record (its old ones) to route each to its shard.
            byte[] record = new byte[4 + chunk.recordTail(0).length];
            record[3] = 7;
            System.arraycopy(chunk.recordTail(0), 0, record, 4, record.length - 4);
            assertEquals(store.linkNames(s), SubscriberRecordFormat.linkNames(record),
                    bucketBits + " bits, household " + household);
        }
    }
}
