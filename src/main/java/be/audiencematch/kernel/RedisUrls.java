package be.audiencematch.kernel;

import io.lettuce.core.RedisURI;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code AUDIENCE_MATCH_REDIS_URL} read as Lettuce URIs: one Redis, or on a cluster several seeds, comma-separated
 * (docs/architecture.md, "Standalone and Cluster").
 */
public final class RedisUrls {

    private RedisUrls() {
    }

    /**
     * The configured URL as seeds: {@code rediss://user:password@host1:6379,host2:6379,host3}; the nodes after the
     * first take its scheme, credentials and options (a port left out is the first's).
     */
    public static List<RedisURI> seeds(String url, Duration timeout) {
        int scheme = url.indexOf("://");
        int hostStart = scheme < 0 ? 0 : scheme + 3;
        int at = url.lastIndexOf('@', firstOf(url, hostStart, '/', '?'));
        int authorityStart = at >= hostStart ? at + 1 : hostStart;
        int authorityEnd = firstOf(url, authorityStart, '/', '?');
        String authority = url.substring(authorityStart, authorityEnd);
        String[] hosts = authority.split(",");
        RedisURI first = RedisURI.create(url.substring(0, authorityStart) + hosts[0] + url.substring(authorityEnd));
        first.setTimeout(timeout);
        List<RedisURI> result = new ArrayList<>();
        result.add(first);
        for (int i = 1; i < hosts.length; i++) {
            String host = hosts[i].trim();
            if (host.isEmpty()) {
                continue;
            }
            int colon = host.lastIndexOf(':');
            RedisURI.Builder builder = RedisURI.builder(first);
            if (colon > 0 && !host.endsWith("]")) {
                builder.withHost(host.substring(0, colon)).withPort(Integer.parseInt(host.substring(colon + 1)));
            } else {
                builder.withHost(host);
            }
            result.add(builder.build());
        }
        return result;
    }

    private static int firstOf(String s, int from, char a, char b) {
        int end = s.length();
        int i = s.indexOf(a, from);
        if (i >= 0) {
            end = i;
        }
        int j = s.indexOf(b, from);
        if (j >= 0 && j < end) {
            end = j;
        }
        return end;
    }

    /** The tag a one-slot base's keys carry on a cluster when the configured prefix has none. */
    public static final String ONE_SLOT_TAG = "{base}:";

    /**
     * The key prefix the service uses. On a standalone Redis, the configured one. On Redis Cluster every key must
     * share one hash slot (docs/architecture.md, "Standalone and Cluster"): a prefix that carries a hash tag
     * ({@code {am}:}) is used as it is; one without ({@code am:}, the default) is followed by {@link #ONE_SLOT_TAG},
     * so that keys stay under the configured prefix ({@code am:{base}:live}) and an ACL key pattern written for it
     * ({@code ~am:*}) still covers them.
     */
    public static String keyPrefix(String configured, boolean cluster) {
        return cluster && !hasHashTag(configured) ? configured + ONE_SLOT_TAG : configured;
    }

    /** Redis' rule: the first '{' and the next '}' after it, with something in between. */
    public static boolean hasHashTag(String key) {
        int open = key.indexOf('{');
        return open >= 0 && key.indexOf('}', open + 1) > open + 1;
    }
}
