package be.audiencematch.eligibility;

import be.audiencematch.changes.ChangeEntryFormat;
import be.audiencematch.eligibility.EligibilityView.Rule;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * Applies change entries (changes/ChangeEntryFormat) to a replica's {@link EligibilityView}: consents and erasures
 * at once, households dropped from the cache, and the campaign rules and bitmaps the entries name read again as they
 * are stored now (docs/architecture.md, "Eligibility view"). {@link ViewFollower} reads the stream and holds the
 * lease; this is what it does with each batch it read.
 */
final class ChangeApplier {

    private final EligibilityView view;
    private final ViewBitmapReads bitmapReads;
    private final RedisScript read;
    private final byte[] seqKey;
    private final byte[] rulesKey;

    ChangeApplier(EligibilityView view, ViewBitmapReads bitmapReads, RedisScript read, byte[] seqKey,
                  byte[] rulesKey) {
        this.view = view;
        this.bitmapReads = bitmapReads;
        this.read = read;
        this.seqKey = seqKey;
        this.rulesKey = rulesKey;
    }

    /**
     * Applies entries read from the stream, which must continue the view's change numbers without a gap; answers the
     * last entry's id (null when there was none), from where the next read starts.
     */
    CompletionStage<String> apply(RedisAsyncCommands<byte[], byte[]> r, long from,
                                  List<StreamMessage<byte[], byte[]>> messages) {
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long expected = from + 1;
        Set<String> campaigns = new LinkedHashSet<>();
        Set<String> changedBitmaps = new LinkedHashSet<>();
        for (StreamMessage<byte[], byte[]> m : messages) {
            long seq = ChangeEntryFormat.number(m.getBody());
            if (seq != expected) {
                throw new IllegalStateException("change stream has a gap (" + (seq - expected)
                        + " changes trimmed before this replica read them)");
            }
            expected++;
            ChangeEntryFormat.read(m.getBody(), new ChangeEntryFormat.Changes() {
                @Override
                public void consent(int number, int mask) {
                    view.applyConsent(number, mask);
                }

                @Override
                public void consentRange(ChangeEntryFormat.ConsentRange range) {
                    view.applyConsentRange(range);
                }

                @Override
                public void households(byte[] keyId, long[] tags) {
                    view.dropHouseholds(seq, keyId, tags);
                }

                @Override
                public void allHouseholds() {
                    view.dropAllHouseholds(seq);
                }

                @Override
                public void erased(int number) {
                    view.clearErased(number);
                }

                @Override
                public void campaigns(List<String> ids) {
                    campaigns.addAll(ids);
                }

                @Override
                public void bitmaps(List<String> keys) {
                    changedBitmaps.addAll(keys);
                }
            });
        }
        long last = expected - 1;
        String lastId = messages.get(messages.size() - 1).getId();
        changedBitmaps.removeIf(key -> !view.hasBitmap(key));
        return rules(r, campaigns).thenCompose(rules -> {
            Set<String> reload = new LinkedHashSet<>(changedBitmaps);
            rules.values().forEach(rule -> {
                if (rule != null) {
                    rule.bitmapKeys().stream().filter(k -> !view.hasBitmap(k)).forEach(reload::add);
                }
            });
            return bitmapReads.read(r, reload).thenApply(bitmaps -> {
                bitmaps.forEach(view::putBitmap);
                rules.forEach((id, rule) -> {
                    if (rule == null) {
                        view.removeRule(id);
                    } else {
                        view.putRule(id, rule);
                    }
                });
                if (rules.values().stream().anyMatch(Objects::isNull)) {
                    view.pruneBitmaps();
                }
                view.appliedUpTo(last);
                return lastId;
            });
        });
    }

    /** The rules of these campaigns as stored now; null for a campaign that no longer has one. */
    private CompletionStage<Map<String, Rule>> rules(RedisAsyncCommands<byte[], byte[]> r, Set<String> ids) {
        if (ids.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        List<String> order = new ArrayList<>(ids);
        byte[][] args = new byte[order.size() + 1][];
        args[0] = bytes("rules");
        for (int i = 0; i < order.size(); i++) {
            args[i + 1] = bytes(order.get(i));
        }
        return read.<List<Object>>run(r, ScriptOutputType.MULTI, new byte[][] {seqKey, rulesKey}, args)
                .thenApply(read -> {
                    Map<String, Rule> out = new HashMap<>();
                    for (int i = 0; i < order.size(); i++) {
                        byte[] packed = (byte[]) read.get(i + 1);
                        out.put(order.get(i), packed.length == 0 ? null : view.parseRule(packed));
                    }
                    return out;
                });
    }

}
