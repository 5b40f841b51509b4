/**
 * Tiered incremental bucket copies: the source bucket (MinIO: replicated databases and the application's
 * own files) copied into tiers of a target bucket (AWS S3), by default {@code daily/}, {@code 1-week/} and
 * {@code 2-week/}, on cron schedules.
 *
 * <h2>Public API</h2>
 * <ul>
 *   <li>{@link io.litevault.backup.TieredBackup}: the component; {@code start()}, {@code runDue()},
 *       {@code runNow(tier)}, {@code metrics()};
 *   <li>{@link io.litevault.backup.BackupOptions}: its options (builder), among them the candidate sources
 *       ({@link io.litevault.backup.BackupOptions.Source}); {@link io.litevault.backup.Tier}
 *       and {@link io.litevault.backup.Schedule}: what to copy where and when;
 *   <li>{@link io.litevault.backup.TierRunReport}, {@link io.litevault.backup.RunStatus},
 *       {@link io.litevault.backup.BackupMetrics} (published by
 *       {@link io.litevault.backup.BackupMetricsBinder}), {@link io.litevault.backup.BackupListener},
 *       {@link io.litevault.backup.SourceReport} (which source a run copied from, and why): what happened;
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
 * <h2>Several sources</h2>
 * One database replicated to several destinations (a {@code MultiReplicator}) has one complete replica in
 * each, with its own lineages: {@code BackupOptions.Builder.alternateSource(store, prefix)} names the others,
 * after the preferred {@code source}. Each run of a tier fed by the source lists every candidate once (the
 * listing it needs anyway) and copies from the one fresh for the most databases: a database's freshness in
 * a source is the newest {@code lastModified} of its snapshots and segments there (not leases, renewed while
 * idle; not compacted ranges, written later from old data), fresh when within {@code freshnessTolerance}
 * (default 1 minute) of the newest any source holds. Ties go to the preferred source, so with no real lag
 * nothing moves. Times come from listings: no key is needed and no body is read. A candidate that cannot be
 * listed is skipped (logged, and named in the report); when none can, the run fails. A switch copies the
 * other source's lineages in full, then deletes the old ones once every copy succeeded (the tier restores
 * throughout); the tiers fed by that tier follow on their next run. The manifest's {@code lineagesFrom}
 * tells a run that it switches between configured sources, and only then does {@code RunGuard} compare
 * databases instead of lineage ids (ids of two destinations compare nothing); its loss check is net of the
 * copies and needs no exception. Tiers fed by a tier copy that tier as always.
 *
 * <h2>Internals (package-private)</h2>
 * {@code TierRun} (one run, in the order that keeps a tier restorable), {@code CopyPlan} (what to copy,
 * skip and delete; leases excluded), {@code Copier} (parallel streaming and server-side copies),
 * {@code CheckingStream} (CRC-32C and length check while streaming), {@code SourcePick} (lists the candidate
 * sources) and {@code SourceChoice} (picks one from the listings), {@code RunGuard}, {@code TierIndex}, {@code RunManifest}
 * + {@code Json}, {@code Errors}. The CLI ({@code BackupCli}) opens stores with
 * {@link io.litevault.bucket.ObjectStores} and sets picocli up with {@link io.litevault.cli.Cli}.
 */
package io.litevault.backup;
