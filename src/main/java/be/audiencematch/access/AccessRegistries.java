package be.audiencematch.access;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.export.ExportStore;
import be.audiencematch.segment.SegmentStore;
import io.lettuce.core.Range;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The members of the four registries the right of access goes through (segments, audiences, campaigns, the export
 * cursors live at {@code now}), read at once on the global keys, just before the subscriber's own keys: their
 * members' keys are named from them (docs/architecture.md, "Scripts").
 */
record AccessRegistries(List<String> segments, List<String> audiences, List<String> campaigns,
                        List<String> cursors) {

    static CompletionStage<AccessRegistries> read(RedisAsyncCommands<byte[], byte[]> r, long now,
                                                  SegmentStore segments, AudienceStore audiences,
                                                  CampaignStore campaigns, ExportStore exports) {
        CompletableFuture<List<byte[]>> s = r.hkeys(segments.registryKey()).toCompletableFuture();
        CompletableFuture<Set<byte[]>> a = r.smembers(audiences.allKey()).toCompletableFuture();
        CompletableFuture<Set<byte[]>> c = r.smembers(campaigns.allKey()).toCompletableFuture();
        CompletableFuture<List<byte[]>> x = r.zrangebyscore(exports.cursorsKey(),
                Range.create((double) now, Double.POSITIVE_INFINITY)).toCompletableFuture();
        return CompletableFuture.allOf(s, a, c, x).thenApply(done -> new AccessRegistries(strings(s.join()),
                strings(a.join()), strings(c.join()), strings(x.join())));
    }

    /** Whether these hold every member {@code later} holds: no registry gained one in between. */
    boolean covers(AccessRegistries later) {
        return new HashSet<>(segments).containsAll(later.segments)
                && new HashSet<>(audiences).containsAll(later.audiences)
                && new HashSet<>(campaigns).containsAll(later.campaigns)
                && new HashSet<>(cursors).containsAll(later.cursors);
    }

    private static List<String> strings(Collection<byte[]> values) {
        List<String> out = new ArrayList<>(values.size());
        values.forEach(v -> out.add(new String(v, StandardCharsets.UTF_8)));
        return out;
    }
}
