package be.audiencematch.consent;

import io.smallrye.mutiny.Uni;

/**
 * Implemented by every store that keeps subscribers by number (segments, audiences, later campaigns and exports),
 * so an erasure reaches them all without the base knowing their keys.
 */
public interface MemberEraser {

    /** Removes subscriber number {@code number} from every set this store keeps. */
    Uni<Void> eraseMember(long number);
}
