package io.litevault.bucket.s3;

import io.litevault.bucket.ListEntry;
import io.litevault.bucket.Operation;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** Walks a listing page by page, fetching the next page (one retried LIST request) only when needed. */
final class PagedIterator implements Iterator<ListEntry> {
  /** Fetches one page from a continuation token ({@code null} for the first). */
  @FunctionalInterface
  interface PageSource {
    ListPage fetch(String token) throws Exception;
  }

  private final Retrier retrier;
  private final String prefix;
  private final PageSource source;
  private Iterator<ListEntry> page = Collections.emptyIterator();
  private String token;
  private boolean last;

  PagedIterator(Retrier retrier, String prefix, PageSource source) {
    this.retrier = retrier;
    this.prefix = prefix;
    this.source = source;
  }

  @Override
  public boolean hasNext() {
    while (!page.hasNext() && !last) {
      ListPage p = retrier.call(Operation.LIST, prefix.isEmpty() ? null : prefix, 0, () -> source.fetch(token));
      page = p.entries().iterator();
      token = p.nextToken();
      last = token == null || token.isEmpty();
    }
    return page.hasNext();
  }

  @Override
  public ListEntry next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return page.next();
  }
}
