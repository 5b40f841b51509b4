package io.litevault.bucket.s3;

import io.litevault.bucket.ListEntry;
import java.util.List;

/** One page of a listing and the token for the next, {@code null} after the last page. */
record ListPage(List<ListEntry> entries, String nextToken) {}
