/**
 * The command lines: {@link io.litevault.cli.RestoreCommand} (the {@code restore} main class, packaged as
 * {@code replication/target/litevault-restore.jar}). A command is thin: arguments, then an options record,
 * then the library ({@link io.litevault.replication.restore.Restore}); flags, exit codes and JSON output
 * live here and nowhere else.
 */
package io.litevault.cli;
