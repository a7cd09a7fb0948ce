package be.audiencematch.eligibility;

import be.audiencematch.campaign.EligibilityRule;
import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.eligibility.ViewBitmaps.Part;
import be.audiencematch.kernel.ShardBits;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;

/**
 * What a replica's eligibility view starts from: a snapshot of every change stream ({@code view_snapshot.lua}), each
 * atomic in its own slot. The first stream (the global one, or a base's one stream) gives the campaign rules and the
 * view key; each shard's gives its consent bitmaps, put together into one by global number (docs/scaling.md,
 * "Numbers"), and takes the first's view key, so household tags are the same in every shard. The bitmaps the rules
 * name are then read, each shard's parts on its stream's connection.
 */
final class ViewSnapshots {

    private static final RedisScript SNAPSHOT = RedisScript.load("view_snapshot");
    private static final Purpose[] PURPOSES = {Purpose.TV, Purpose.WEB, Purpose.ADS_AND_DATA};

    /** Stream i's change number and last entry id; consents by global number; the rules live now. */
    record Loaded(long[] seqs, List<String> lastEntries, byte[] tv, byte[] web, byte[] ads,
                  Map<String, EligibilityRule> rules, Map<String, Part[]> bitmaps, byte[] viewKey) {
    }

    private final List<ChangeKeys> streams;
    private final byte[] rulesKey;
    private final EligibilityView view;
    private final ViewBitmapReads bitmapReads;

    ViewSnapshots(List<ChangeKeys> streams, byte[] rulesKey, EligibilityView view, ViewBitmapReads bitmapReads) {
        this.streams = streams;
        this.rulesKey = rulesKey;
        this.view = view;
        this.bitmapReads = bitmapReads;
    }

    /** Every stream's snapshot, stream i read on {@code connections.get(i)} (to its primary). */
    CompletionStage<Loaded> load(List<StatefulRedisConnection<byte[], byte[]>> connections, byte[] newViewKey) {
        boolean one = streams.size() == 1;
        return snapshot(connections, 0, newViewKey, one ? "rc" : "r").thenCompose(first -> {
            byte[] viewKey = (byte[]) first.get(6);
            List<CompletableFuture<List<Object>>> shards = new ArrayList<>();
            for (int i = 1; i < streams.size(); i++) {
                shards.add(snapshot(connections, i, viewKey, "c").toCompletableFuture());
            }
            return CompletableFuture.allOf(shards.toArray(CompletableFuture[]::new)).thenCompose(all -> {
                List<List<Object>> every = new ArrayList<>();
                every.add(first);
                shards.forEach(s -> every.add(s.join()));
                return loaded(connections, every, one ? every : every.subList(1, every.size()), viewKey);
            });
        });
    }

    /** {@code every}: each stream's snapshot; {@code withConsents}: those holding consents, shard 0's first. */
    private CompletionStage<Loaded> loaded(List<StatefulRedisConnection<byte[], byte[]>> connections,
                                           List<List<Object>> every, List<List<Object>> withConsents,
                                           byte[] viewKey) {
        long now = System.currentTimeMillis();
        Map<String, EligibilityRule> rules = new HashMap<>();
        @SuppressWarnings("unchecked")
        List<byte[]> flat = (List<byte[]>) every.get(0).get(4);
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            EligibilityRule rule = view.parseRule(flat.get(i + 1));
            if (rule != null && rule.endsMs() > now) {
                rules.put(str(flat.get(i)), rule);
            }
        }
        Set<String> named = new LinkedHashSet<>();
        rules.values().forEach(rule -> named.addAll(rule.bitmapNames()));
        byte[][] consents = new byte[3][];
        for (int p = 0; p < 3; p++) {
            List<byte[]> parts = new ArrayList<>();
            for (List<Object> snapshot : withConsents) {
                parts.add((byte[]) snapshot.get(1 + p));
            }
            byte[] joined = ShardBits.interleave(parts);
            consents[p] = joined == null ? new byte[0] : joined;
        }
        long[] seqs = new long[every.size()];
        List<String> lastEntries = new ArrayList<>();
        for (int i = 0; i < every.size(); i++) {
            seqs[i] = (Long) every.get(i).get(0);
            lastEntries.add(str((byte[]) every.get(i).get(5)));
        }
        // Shard s's stream: the one stream of a base of one shard, else the one after the global stream.
        int offset = streams.size() == 1 ? 0 : 1;
        return bitmapReads.readEveryShard(withConsents.size(), (s, names) -> bitmapReads.read(
                        connections.get(s + offset).async(), streams.get(s + offset), names), named)
                .thenApply(bitmaps -> new Loaded(seqs, lastEntries, consents[0], consents[1], consents[2], rules,
                        bitmaps, viewKey));
    }

    /** Stream i's snapshot ({@code parts}: view_snapshot.lua's, 'r' rules and 'c' consents). */
    private CompletionStage<List<Object>> snapshot(List<StatefulRedisConnection<byte[], byte[]>> connections, int i,
                                                   byte[] viewKey, String parts) {
        ChangeKeys keys = streams.get(i);
        List<byte[]> named = new ArrayList<>(List.of(keys.seq(), keys.stream(), keys.viewKey()));
        if (parts.contains("r")) {
            named.add(rulesKey);
        }
        if (parts.contains("c")) {
            for (Purpose p : PURPOSES) {
                named.add(keys.where().key(SubscriberStore.consentName(p)));
            }
        }
        return SNAPSHOT.run(connections.get(i).async(), ScriptOutputType.MULTI, named.toArray(byte[][]::new),
                viewKey, bytes(i == 0 ? "nx" : "set"), bytes(parts));
    }
}
