/**
 * Continuous replication of one database to a bucket: {@link io.litevault.replication.Replicator} (the
 * user's handle, configured by {@link io.litevault.replication.ReplicatorOptions}) reads committed WAL
 * frames and ships them as segments and snapshots in the formats of {@code .format}, through the
 * {@link io.litevault.bucket.ObjectStore} contract. Package-private inside: the shipper thread, WAL
 * reading, the lease that fences a second writer, retention, and the bucket-wins check at start.
 */
package io.litevault.replication;
