/**
 * The documented formats of a bucket (docs/FORMAT.md), public because restore, backup and tools read
 * them: where objects live ({@link io.litevault.replication.format.BucketLayout}), the segment and
 * snapshot objects ({@link io.litevault.replication.format.SegmentCodec},
 * {@link io.litevault.replication.format.SnapshotCodec}), the rolling checksum that chains them
 * ({@link io.litevault.replication.format.DatabaseChecksum}) and the catalog of lineages
 * ({@link io.litevault.replication.format.LineageCatalog}). Nothing here talks to SQLite or keeps state
 * between calls.
 */
package io.litevault.replication.format;
