/** Test fixtures: embedded S3, fault injection, temp databases, concurrency harness. */
package io.litevault.testing;
