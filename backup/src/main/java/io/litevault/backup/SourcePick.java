package io.litevault.backup;

import io.litevault.bucket.ObjectInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists every candidate source of {@link BackupOptions#sources()} once (the listing the run needs
 * anyway) and picks one with {@link SourceChoice}: the chosen source, its listing, and the
 * {@link SourceReport}. A candidate whose listing fails is skipped and logged; when all fail, the
 * preferred one's failure is thrown (the run fails as with one source).
 */
final class SourcePick {
  private static final Logger LOG = LoggerFactory.getLogger(SourcePick.class);

  final BackupOptions.Source source;
  final List<ObjectInfo> listing;
  final SourceReport report;

  private SourcePick(BackupOptions.Source source, List<ObjectInfo> listing, SourceReport report) {
    this.source = source;
    this.listing = listing;
    this.report = report;
  }

  static SourcePick of(BackupOptions options, String tierName) {
    List<BackupOptions.Source> sources = options.sources();
    List<List<ObjectInfo>> listings = new ArrayList<>();
    List<Map<String, Instant>> newest = new ArrayList<>();
    List<RuntimeException> failures = new ArrayList<>();
    for (BackupOptions.Source s : sources) {
      try (Stream<ObjectInfo> st = s.store().list(s.prefix())) {
        List<ObjectInfo> l = st.collect(Collectors.toCollection(ArrayList::new));
        listings.add(l);
        newest.add(SourceChoice.newestPerDatabase(s.prefix(), l));
        failures.add(null);
      } catch (RuntimeException e) {
        if (sources.size() == 1) {
          throw e;
        }
        LOG.warn("tier {}: listing source {} failed, skipping it: {}", tierName, s.describe(), e.toString());
        listings.add(null);
        newest.add(null);
        failures.add(e);
      }
    }
    if (listings.stream().allMatch(l -> l == null)) {
      RuntimeException first = failures.get(0);
      failures.subList(1, failures.size()).forEach(first::addSuppressed);
      throw first;
    }
    SourceChoice.Result r = SourceChoice.choose(newest, options.freshnessTolerance());
    List<SourceReport.Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      Map<String, Instant> m = newest.get(i);
      Instant top = m == null || m.isEmpty() ? null : Collections.max(m.values());
      candidates.add(new SourceReport.Candidate(i, sources.get(i).describe(), r.freshDatabases().get(i), top,
          failures.get(i) == null ? null : failures.get(i).toString()));
    }
    SourceReport report = new SourceReport(r.chosen(), reason(r, candidates, sources.size()), candidates);
    if (report.alternateChosen()) {
      LOG.info("tier {}: copying from alternate source {} ({})", tierName, report.chosenCandidate().source(),
          report.reason());
    }
    return new SourcePick(sources.get(r.chosen()), listings.get(r.chosen()), report);
  }

  private static String reason(SourceChoice.Result r, List<SourceReport.Candidate> c, int n) {
    if (n == 1) {
      return "the only source";
    }
    String fresh = "fresh for " + r.freshDatabases().get(r.chosen()) + " of " + r.databases() + " databases";
    if (r.chosen() == 0) {
      return "the preferred source, " + fresh;
    }
    SourceReport.Candidate preferred = c.get(0);
    return fresh + "; the preferred source " + (preferred.error() != null ? "could not be listed"
        : "was fresh for " + preferred.freshDatabases() + " (newest " + preferred.newest() + ")");
  }
}
