/**
 * Tiered incremental bucket copies: the source bucket (MinIO: replicated databases and the application's
 * own files) copied into tiers of a target bucket (AWS S3), by default {@code daily/}, {@code 1-week/} and
 * {@code 2-week/}, on cron schedules.
 *
 * <h2>Public API</h2>
 * <ul>
 *   <li>{@link io.litevault.backup.TieredBackup}: the component; {@code start()}, {@code runDue()},
 *       {@code runNow(tier)}, {@code metrics()};
 *   <li>{@link io.litevault.backup.BackupOptions}: its options (builder); {@link io.litevault.backup.Tier}
 *       and {@link io.litevault.backup.Schedule}: what to copy where and when;
 *   <li>{@link io.litevault.backup.TierRunReport}, {@link io.litevault.backup.RunStatus},
 *       {@link io.litevault.backup.BackupMetrics} (published by
 *       {@link io.litevault.backup.BackupMetricsBinder}), {@link io.litevault.backup.BackupListener}: what
 *       happened;
 *   <li>{@link io.litevault.backup.TierVerifier}, {@link io.litevault.backup.VerificationResult}: the SPI
 *       through which a restore check of each fresh tier plugs in;
 *   <li>{@link io.litevault.backup.BackupCli}: the command line ({@code backup/target/litevault-backup.jar}).
 * </ul>
 *
 * <h2>In the target, per tier</h2>
 * <pre>
 * &lt;targetPrefix&gt;&lt;tier&gt;/&lt;key relative to the source prefix&gt;   the copied objects, byte for byte
 * &lt;targetPrefix&gt;&lt;tier&gt;/_litevault/index.tsv                    what the tier holds: size, CRC-32C, upstream etag + time
 * &lt;targetPrefix&gt;&lt;tier&gt;/_litevault/backup-run.json               the last run's manifest, written last
 * </pre>
 * A tier restores like the source (restore lists keys; nothing is in object metadata), with any S3 tool's
 * copy of it too. The index and manifest are the backup's own bookkeeping, never needed to restore.
 *
 * <h2>Internals (package-private)</h2>
 * {@code TierRun} (one run, in the order that keeps a tier restorable), {@code CopyPlan} (what to copy,
 * skip and delete; leases excluded), {@code Copier} (parallel streaming and server-side copies),
 * {@code CheckingStream} (CRC-32C and length check while streaming), {@code TierIndex}, {@code RunManifest}
 * + {@code Json}, {@code Errors}. The CLI ({@code BackupCli}) opens stores with
 * {@link io.litevault.bucket.ObjectStores} and sets picocli up with {@link io.litevault.cli.Cli}.
 */
package io.litevault.backup;
