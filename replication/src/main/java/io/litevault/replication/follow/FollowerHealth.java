package io.litevault.replication.follow;

import io.litevault.replication.format.ReplicaPosition;
import java.time.Duration;
import java.time.Instant;

/**
 * What a {@link Follower} serves and how far behind it may be.
 *
 * @param database the follower's database name
 * @param position the lineage and last transaction applied: what reads see
 * @param commitTime that transaction's commit time at the primary
 * @param newestSeenTxid the newest txid of its lineage the follower has seen in the bucket
 * @param behindTxids transactions seen in the bucket and not applied yet (0 when caught up)
 * @param caughtUpAt the start of the last poll after which nothing newer was in the bucket (null before the
 *     first): every upload the primary finished before it is applied. Measured on the monotonic clock and
 *     shown on the follower's wall clock as it reads now ({@code now - staleness}), so a clock step moves it
 * @param staleness how long ago {@code caughtUpAt} was: at most this much of the primary's uploads may be
 *     missing (the lag behind its last upload)
 * @param polls polls made
 * @param segmentsApplied segments applied
 * @param rebuilds times the file was rebuilt by a restore (at open, a new lineage, a gap the segments
 *     cannot bridge, a failed apply)
 * @param lastError the last failure (null when the last poll succeeded): the follower keeps serving what it
 *     has and tries again
 */
public record FollowerHealth(String database, ReplicaPosition position, Instant commitTime, long newestSeenTxid,
    long behindTxids, Instant caughtUpAt, Duration staleness, long polls, long segmentsApplied, long rebuilds,
    String lastError) {}
