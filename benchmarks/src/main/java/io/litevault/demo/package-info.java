/**
 * The end-to-end demo ({@link io.litevault.demo.Demo}, the README's first command): a compressed production
 * day on a replicated store, then a simulated disaster and a verified restore; and
 * {@link io.litevault.demo.RestoreSpeedHarness}, which times a large restore against a plain file copy.
 */
package io.litevault.demo;
