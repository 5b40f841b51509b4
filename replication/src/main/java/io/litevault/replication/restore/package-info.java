/**
 * The {@code restore} command line: {@link io.litevault.replication.restore.RestoreCommand}, a thin layer
 * over {@link io.litevault.replication.Restore} packaged as {@code replication/target/litevault-restore.jar}.
 */
package io.litevault.replication.restore;
