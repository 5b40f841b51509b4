package io.litevault.backup;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The run manifest {@code <tier>/_litevault/backup-run.json}, written last in every run: what the last run
 * did ({@link TierRunReport}) plus when the last <em>successful</em> run started and finished and the
 * point in time the tier's content represents. A restarted process reads it to find the runs it missed;
 * the tier below reads its upstream's to learn the age of what it copies.
 */
record RunManifest(TierRunReport last, Instant lastSuccessStarted, Instant lastSuccessFinished) {
  static final String FORMAT = "litevault-backup-run";
  static final String PATH = "_litevault/backup-run.json";

  /** When the tier's content was the upstream's state, or null if it never completed a run. */
  Instant stateAsOf() {
    return last.stateAsOf();
  }

  static String key(String tierPrefix) {
    return tierPrefix + PATH;
  }

  static Optional<RunManifest> read(ObjectStore store, String tierPrefix) {
    String text;
    try (InputStream in = store.get(key(tierPrefix))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + key(tierPrefix) + " failed", e);
    }
    return Optional.of(parse(text, key(tierPrefix)));
  }

  void write(ObjectStore store, String tierPrefix) {
    store.put(key(tierPrefix), toJson().getBytes(StandardCharsets.UTF_8));
  }

  String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("version", 1L);
    m.put("tier", last.tier());
    m.put("runId", last.runId());
    m.put("status", last.status().name());
    m.put("started", last.started().toString());
    m.put("finished", last.finished().toString());
    m.put("stateAsOf", str(last.stateAsOf()));
    m.put("lastSuccessStarted", str(lastSuccessStarted));
    m.put("lastSuccessFinished", str(lastSuccessFinished));
    m.put("copied", last.copied());
    m.put("skipped", last.skipped());
    m.put("deleted", last.deleted());
    m.put("bytesCopied", last.bytesCopied());
    m.put("verification", last.verification().outcome().name());
    m.put("verifiedDatabases", (long) last.verification().databasesChecked());
    m.put("verificationDetail", last.verification().detail());
    m.put("errors", last.errors());
    return Json.write(m);
  }

  static RunManifest parse(String text, String where) {
    try {
      Map<String, Object> m = Json.read(text);
      if (!FORMAT.equals(m.get("format"))) {
        throw new IllegalArgumentException("not a " + FORMAT + " object");
      }
      VerificationResult v = new VerificationResult(VerificationResult.Outcome.valueOf((String) m.get("verification")),
          ((Long) m.get("verifiedDatabases")).intValue(), (String) m.get("verificationDetail"));
      @SuppressWarnings("unchecked")
      List<String> errors = (List<String>) m.get("errors");
      TierRunReport r = new TierRunReport((String) m.get("tier"), (String) m.get("runId"),
          Instant.parse((String) m.get("started")), Instant.parse((String) m.get("finished")),
          RunStatus.valueOf((String) m.get("status")), (Long) m.get("copied"), (Long) m.get("skipped"),
          (Long) m.get("deleted"), (Long) m.get("bytesCopied"), errors, v, instant(m.get("stateAsOf")));
      return new RunManifest(r, instant(m.get("lastSuccessStarted")), instant(m.get("lastSuccessFinished")));
    } catch (RuntimeException e) {
      throw new IllegalStateException("unreadable run manifest " + where + ": " + e.getMessage(), e);
    }
  }

  private static Object str(Instant i) {
    return i == null ? null : i.toString();
  }

  private static Instant instant(Object o) {
    return o == null ? null : Instant.parse((String) o);
  }
}
