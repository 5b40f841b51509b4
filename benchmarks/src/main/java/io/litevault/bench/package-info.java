/** JMH benchmarks. */
package io.litevault.bench;
