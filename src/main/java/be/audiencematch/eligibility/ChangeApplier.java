package be.audiencematch.eligibility;

import be.audiencematch.campaign.EligibilityRule;
import be.audiencematch.changes.ChangeEntryFormat;
import be.audiencematch.changes.ChangeKeys;
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
 * lease; this is what it does with each batch it read. A bitmap named by a shard's entry (by key) is that shard's
 * part of the bitmap of that name, read again in that shard; a new rule's bitmaps are read from every shard before
 * the rule is applied.
 */
final class ChangeApplier {

    private final EligibilityView view;
    private final ViewBitmapReads bitmapReads;
    private final RedisScript read;
    private final byte[] rulesKey;
    /** Reads parts in any shard of a sharded base, off the streams' own connections (busy in XREAD). */
    private final ViewBitmapReads.Shard anyShard;

    ChangeApplier(EligibilityView view, ViewBitmapReads bitmapReads, RedisScript read, byte[] rulesKey,
                  ViewBitmapReads.Shard anyShard) {
        this.view = view;
        this.bitmapReads = bitmapReads;
        this.read = read;
        this.rulesKey = rulesKey;
        this.anyShard = anyShard;
    }

    /**
     * Applies entries read from stream number {@code index} ({@code stream}'s keys), which must continue the view's
     * change numbers of that stream without a gap; answers the last entry's id (null when there was none), from where
     * the next read starts. A shard's subscriber numbers become global ones here ({@link ChangeKeys#global}).
     */
    CompletionStage<String> apply(RedisAsyncCommands<byte[], byte[]> r, int index, ChangeKeys stream,
                                  List<StreamMessage<byte[], byte[]>> messages) {
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Set<String> campaigns = new LinkedHashSet<>();
        Set<String> changedBitmaps = new LinkedHashSet<>();
        long last;
        // One batch at a time over every stream: consent bits of several shards share bytes.
        synchronized (view) {
            last = read(index, stream, messages, campaigns, changedBitmaps);
            changedBitmaps.removeIf(name -> !view.bitmaps().has(name));
        }
        String lastId = messages.get(messages.size() - 1).getId();
        ViewBitmaps bitmaps = view.bitmaps();
        return rules(r, stream, campaigns).thenCompose(rules -> {
            Set<String> fresh = new LinkedHashSet<>();
            rules.values().forEach(rule -> {
                if (rule != null) {
                    rule.bitmapNames().stream().filter(name -> !bitmaps.has(name)).forEach(fresh::add);
                }
            });
            bitmaps.expect(fresh);
            int mark = bitmaps.startReading();
            // In a base of one shard, every part is read on this stream's connection, in this batch's turn.
            ViewBitmapReads.Shard everyShard = stream.shards() == 1
                    ? (s, named) -> bitmapReads.read(r, stream, named) : anyShard;
            return bitmapReads.read(r, stream, changedBitmaps)
                    .thenCompose(own -> bitmapReads.readEveryShard(bitmaps.shards(), everyShard, fresh)
                            .thenApply(every -> {
                                synchronized (view) {
                                    own.forEach((name, part) -> bitmaps.put(name, stream.shard(), part, mark));
                                    every.forEach((name, parts) -> {
                                        for (int s = 0; s < parts.length; s++) {
                                            bitmaps.put(name, s, parts[s], mark);
                                        }
                                    });
                                    bitmaps.doneReading();
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
                                    view.appliedUpTo(index, last);
                                }
                                return lastId;
                            }));
        });
    }

    /**
     * Applies what the entries change at once (consents, erasures, households) and gathers the campaigns and bitmaps
     * they name; answers the last change number.
     */
    private long read(int index, ChangeKeys stream, List<StreamMessage<byte[], byte[]>> messages,
                      Set<String> campaigns, Set<String> changedBitmaps) {
        long expected = view.applied(index) + 1;
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
                    view.applyConsent(stream.global(number), mask);
                }

                @Override
                public void consentRange(ChangeEntryFormat.ConsentRange range) {
                    if (stream.shard() < 0) {
                        throw new IllegalStateException("the global change stream names no subscriber");
                    }
                    view.applyConsentRange(range, stream.shard(), stream.shards());
                }

                @Override
                public void households(byte[] keyId, long[] tags) {
                    view.dropHouseholds(index, seq, keyId, tags);
                }

                @Override
                public void allHouseholds() {
                    view.dropAllHouseholds(index, seq);
                }

                @Override
                public void erased(int number) {
                    view.clearErased(stream.global(number));
                }

                @Override
                public void campaigns(List<String> ids) {
                    campaigns.addAll(ids);
                }

                @Override
                public void bitmaps(List<String> keys) {
                    // A key of this stream's shard: its name there (no bitmap lives among the global keys).
                    String prefix = stream.where().prefix();
                    for (String key : keys) {
                        if (stream.shard() >= 0 && key.startsWith(prefix)) {
                            changedBitmaps.add(key.substring(prefix.length()));
                        }
                    }
                }
            });
        }
        return expected - 1;
    }

    /**
     * The rules of these campaigns as stored now; null for a campaign that no longer has one (or has one that cannot
     * be read: EligibilityRule.of).
     */
    private CompletionStage<Map<String, EligibilityRule>> rules(RedisAsyncCommands<byte[], byte[]> r, ChangeKeys stream,
                                                     Set<String> ids) {
        if (ids.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        List<String> order = new ArrayList<>(ids);
        byte[][] args = new byte[order.size() + 1][];
        args[0] = bytes("rules");
        for (int i = 0; i < order.size(); i++) {
            args[i + 1] = bytes(order.get(i));
        }
        return read.<List<Object>>run(r, ScriptOutputType.MULTI, new byte[][] {stream.seq(), rulesKey}, args)
                .thenApply(read -> {
                    Map<String, EligibilityRule> out = new HashMap<>();
                    for (int i = 0; i < order.size(); i++) {
                        byte[] packed = (byte[]) read.get(i + 1);
                        out.put(order.get(i), packed.length == 0 ? null : view.parseRule(packed));
                    }
                    return out;
                });
    }

}
