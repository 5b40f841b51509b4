/** The Litevault store: WAL databases, writer queue, readers, cache, checkpoints. */
package io.litevault.store;
