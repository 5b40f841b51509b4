/** Continuous replication to S3-compatible storage (issue: replication). */
package io.litevault.replication;
