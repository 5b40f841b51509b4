package io.litevault.backup;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.PutResult;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes the copies of a {@link CopyPlan} on a pool of {@code parallelism} threads: {@link CopyPlan#first}
 * in parallel, then (only if all of those succeeded) each lineage's segment chain in order, chains in
 * parallel. A failed copy is recorded and the others go on (the more is copied, the less the next run has
 * to do); a failed segment stops its chain, so a chain in the tier never has a gap.
 *
 * <p>From the source, a body streams from {@code source.get} through a {@link CheckingStream} into
 * {@code target.put}, which holds at most one part in memory (multipart above the part size): heap is
 * bounded by parallelism × part size. Between tiers, {@code target.copy} copies on the server (objects
 * up to 5 GiB; larger ones stream like source copies) and the CRC-32C is carried over from the upstream
 * tier's index. Each copied object is recorded in the tier's index, which is saved every
 * {@code checkpointEvery} copies so a killed run re-copies at most that many.
 */
final class Copier {
  private static final Logger LOG = LoggerFactory.getLogger(Copier.class);
  /** S3 CopyObject's limit; above it a tier-to-tier copy streams. */
  static final long MAX_SERVER_COPY = 5L * 1024 * 1024 * 1024;

  private final ObjectStore from;
  private final String fromPrefix;
  private final boolean serverSide;
  private final TierIndex upstreamIndex;
  private final ObjectStore target;
  private final String tierPrefix;
  private final TierIndex index;
  private final ExecutorService pool;
  private final int checkpointEvery;
  private final Errors errors;

  final AtomicLong copied = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  private final AtomicLong sinceCheckpoint = new AtomicLong();

  Copier(ObjectStore from, String fromPrefix, boolean serverSide, TierIndex upstreamIndex, ObjectStore target,
      String tierPrefix, TierIndex index, ExecutorService pool, int checkpointEvery, Errors errors) {
    this.from = from;
    this.fromPrefix = fromPrefix;
    this.serverSide = serverSide;
    this.upstreamIndex = upstreamIndex;
    this.target = target;
    this.tierPrefix = tierPrefix;
    this.index = index;
    this.pool = pool;
    this.checkpointEvery = checkpointEvery;
    this.errors = errors;
  }

  /** Runs the plan's copies; returns whether all of them succeeded. */
  boolean copyAll(CopyPlan plan) throws InterruptedException {
    List<Callable<Boolean>> first = new ArrayList<>();
    for (CopyPlan.Item item : plan.first) {
      first.add(() -> copyOne(item));
    }
    if (!runAll(first)) {
      return false;
    }
    List<Callable<Boolean>> chains = new ArrayList<>();
    for (List<CopyPlan.Item> chain : plan.segmentChains.values()) {
      chains.add(() -> {
        for (CopyPlan.Item item : chain) {
          if (!copyOne(item)) {
            return false;
          }
        }
        return true;
      });
    }
    return runAll(chains);
  }

  private boolean runAll(List<Callable<Boolean>> tasks) throws InterruptedException {
    boolean ok = true;
    List<Future<Boolean>> futures = new ArrayList<>(tasks.size());
    for (Callable<Boolean> t : tasks) {
      futures.add(pool.submit(t));
    }
    for (Future<Boolean> f : futures) {
      try {
        ok &= f.get();
      } catch (ExecutionException e) {
        errors.add("copy task failed: " + e.getCause());
        ok = false;
      }
    }
    return ok;
  }

  private boolean copyOne(CopyPlan.Item item) {
    String rel = item.relKey();
    long size = item.source().size();
    try {
      long crc;
      if (serverSide && size <= MAX_SERVER_COPY) {
        target.copy(fromPrefix + rel, tierPrefix + rel);
        TierIndex.Entry up = upstreamIndex.get(rel);
        crc = up != null && up.size() == size ? up.crc() : -1;
      } else {
        crc = stream(rel, size);
      }
      index.put(rel, new TierIndex.Entry(size, crc, item.source().etag(), item.source().lastModified().toEpochMilli()));
      copied.incrementAndGet();
      bytes.addAndGet(size);
      if (sinceCheckpoint.incrementAndGet() % checkpointEvery == 0) {
        index.save(target, tierPrefix);
      }
      return true;
    } catch (RuntimeException | IOException e) {
      LOG.warn("copying {} to {} failed: {}", rel, tierPrefix, e.toString());
      errors.add("copy " + rel + ": " + e);
      return false;
    }
  }

  private long stream(String rel, long size) throws IOException {
    try (InputStream in = from.get(fromPrefix + rel)) {
      CheckingStream body = new CheckingStream(in, size);
      PutResult r;
      try {
        r = target.put(tierPrefix + rel, body, size);
      } catch (java.io.UncheckedIOException e) {
        throw e.getCause();
      }
      if (r.size() != size || body.count() != size) {
        throw new IOException("stored " + r.size() + " bytes, read " + body.count() + ", listed " + size);
      }
      return body.crc();
    }
  }
}
