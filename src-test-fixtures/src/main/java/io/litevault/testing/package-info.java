/**
 * Test fixtures shared by every module (a test-scope dependency of each): {@link io.litevault.testing.EmbeddedS3}
 * (S3Proxy in-process, a real S3 server on loopback) with its JUnit 5 {@link io.litevault.testing.EmbeddedS3Extension},
 * and {@link io.litevault.testing.FaultProxy}, an HTTP-aware TCP proxy that injects 503 SlowDown, stalls and
 * connection resets in front of it so the real clients' retry paths run, and counts what passes
 * ({@link io.litevault.testing.Traffic}: requests by kind, PUTs by object kind, bytes both ways).
 *
 * <p>This module must not depend on {@code replication} or {@code sqlite-store}: they depend on it (test
 * scope), and Maven forbids the cycle. So what needs the {@code ObjectStore} types lives in
 * {@code replication}'s own test sources and is published in its test-jar: the fault-injecting
 * {@code FaultyObjectStore} decorator and the abstract {@code ObjectStoreContractTest}, both in package
 * {@code io.litevault.replication}.
 */
package io.litevault.testing;
