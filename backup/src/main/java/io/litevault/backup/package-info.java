/** Tiered incremental bucket copies (issue: tiered backups). */
package io.litevault.backup;
