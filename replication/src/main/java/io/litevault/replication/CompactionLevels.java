package io.litevault.replication;

import java.time.Duration;
import java.util.List;

/**
 * The compaction levels and which window of each a transaction belongs to. A level-n object holds the net
 * effect of the transactions of one window of level n (by commit time, UTC, aligned to the epoch), so a
 * restore of the newest point reads the snapshot, whole windows of the coarsest level since it, then of each
 * finer level, and fine segments only for the current smallest window.
 *
 * <p>Why these windows: the worst case to cover up to any moment is the sum, over the levels, of one less
 * than the ratio to the next coarser window, plus the fine segments of one level-1 window. With one upload a
 * second a 1 s range holds one segment and is not written (a range of one segment is worth no more than the
 * segment), so that case reads {@code 9} segments, then {@code 5 + 9 + 5 + 5} ranges below 6 hours, at most
 * 3 six-hour ranges and the snapshot of the day: 37, within the 40 objects issue 13 asks for; the extra PUTs
 * are one per window above the first, about 10,250 a day against 86,400 uploads (12%). The 1 s level is for
 * {@code REPLICATED} writes, which upload as soon as they commit: at 500 such writes a second a second holds
 * dozens of segments, merged into one range.
 *
 * <p>Windows never go back: a clock that steps back keeps a transaction in the window of the one before
 * it, so the ranges of a level follow each other in txid order.
 */
final class CompactionLevels {
  /** Level n is {@code DEFAULT.get(n - 1)}. */
  static final List<Duration> DEFAULT = List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1),
      Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofHours(6));

  private final List<Duration> windows;

  CompactionLevels(List<Duration> windows) {
    if (windows.isEmpty() || windows.size() > 255) {
      throw new IllegalArgumentException("between 1 and 255 compaction levels, not " + windows.size());
    }
    for (int i = 0; i < windows.size(); i++) {
      Duration w = windows.get(i);
      if (w.toMillis() < 1000 || (i > 0 && w.toMillis() % windows.get(i - 1).toMillis() != 0)) {
        throw new IllegalArgumentException("compaction window " + w + " of level " + (i + 1) + " must be at least 1 s "
            + "and a multiple of the window below it");
      }
    }
    this.windows = List.copyOf(windows);
  }

  int count() {
    return windows.size();
  }

  /**
   * The window of {@code level} (1-based) a transaction committed at {@code timestampMillis} belongs to,
   * given the window of the transaction before it ({@code Long.MIN_VALUE} for none): never earlier.
   */
  long window(int level, long timestampMillis, long previousWindow) {
    long w = Math.floorDiv(timestampMillis, windows.get(level - 1).toMillis());
    return Math.max(w, previousWindow);
  }

  /** When {@code window} of {@code level} ends: its first millisecond after. */
  long end(int level, long window) {
    long len = windows.get(level - 1).toMillis();
    return window >= Long.MAX_VALUE / len - 1 ? Long.MAX_VALUE : (window + 1) * len;
  }
}
