package io.litevault.replication;

import java.util.Map;

/**
 * The pages one committed transaction wrote, read from the WAL.
 *
 * @param endOffset WAL offset just past its commit frame
 * @param dbSizePages the database size in pages after the commit (from the commit frame)
 * @param pages page number to page image; when the transaction wrote a page twice, the last image
 */
record WalTransaction(long endOffset, int dbSizePages, Map<Integer, byte[]> pages) {}
