/**
 * Read replicas that follow a replicated database through its bucket: {@link io.litevault.replication.follow.Follower}
 * restores the database, then applies each new segment the primary uploads and serves reads of whole
 * transactions, configured by {@link io.litevault.replication.follow.FollowerOptions}; its lag is in
 * {@link io.litevault.replication.follow.FollowerHealth}.
 */
package io.litevault.replication.follow;
