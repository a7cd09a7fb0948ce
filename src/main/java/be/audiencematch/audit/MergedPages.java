package be.audiencematch.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One page of the audit trail put together from the pages of several streams: the global one and each shard's
 * (docs/scaling.md, "Placement"). Each stream's page ends where that stream's reading stopped, so the merged page
 * ends at the earliest such point: every entry up to it has been read from every stream. Entries of several streams
 * may share an id; a page never ends between them, since the next page starts after the last id it holds.
 */
final class MergedPages {

    /** Stream ids ("ms-seq") in their order. */
    static final Comparator<String> BY_ID = Comparator.<String>comparingLong(id -> part(id, 0))
            .thenComparingLong(id -> part(id, 1));

    private MergedPages() {
    }

    /** {@code pages}, each oldest first with the id its reading stopped at (null: the stream is read to the end). */
    static AuditLog.Page merge(List<AuditLog.Page> pages, int limit) {
        if (pages.size() == 1) {
            return pages.get(0);
        }
        String bound = null;
        for (AuditLog.Page page : pages) {
            if (page.nextCursor() != null && (bound == null || BY_ID.compare(page.nextCursor(), bound) < 0)) {
                bound = page.nextCursor();
            }
        }
        List<Map<String, String>> read = new ArrayList<>();
        for (AuditLog.Page page : pages) {
            for (Map<String, String> entry : page.entries()) {
                if (bound == null || BY_ID.compare(entry.get("id"), bound) <= 0) {
                    read.add(entry);
                }
            }
        }
        read.sort(Comparator.comparing(entry -> entry.get("id"), BY_ID));
        int end = Math.min(limit, read.size());
        while (end > 0 && end < read.size() && read.get(end).get("id").equals(read.get(end - 1).get("id"))) {
            end++;
        }
        List<Map<String, String>> taken = List.copyOf(read.subList(0, end));
        String next = end < read.size() ? read.get(end - 1).get("id") : bound;
        return new AuditLog.Page(taken, next);
    }

    private static long part(String id, int which) {
        int dash = id.indexOf('-');
        return Long.parseLong(which == 0 ? id.substring(0, dash) : id.substring(dash + 1));
    }
}
