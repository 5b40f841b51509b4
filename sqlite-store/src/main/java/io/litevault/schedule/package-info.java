/**
 * Cron schedules shared by every module: {@link io.litevault.schedule.CronExpression} (UNIX five-field
 * cron and the usual {@code @daily}-style nicknames, parsed and evaluated by cron-utils) and its
 * {@link io.litevault.schedule.InvalidCronExpressionException}.
 *
 * <p>Why it lives in {@code sqlite-store}: both modules that run on a schedule ({@code ttl-cleanup}'s
 * purges and {@code backup}'s tiers) depend on {@code sqlite-store} and on nothing else in common, and one
 * schedule syntax with one error message is part of the contract a user configures once. It is its own
 * package, not part of {@code io.litevault.store}, because it is a capability of its own that knows
 * nothing of databases; nothing in {@code io.litevault.store} imports it.
 */
package io.litevault.schedule;
