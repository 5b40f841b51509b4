/**
 * The restore library: {@link io.litevault.replication.restore.Restore#run} rebuilds a database file from a
 * bucket at its newest point, a transaction id or a time, configured by one
 * {@link io.litevault.replication.restore.RestoreOptions}. It downloads a snapshot and the segments after
 * it ({@link io.litevault.replication.format}), verifies the chain by its checksums, writes a temporary
 * file beside the output and renames it into place only once it is whole and checked.
 */
package io.litevault.replication.restore;
