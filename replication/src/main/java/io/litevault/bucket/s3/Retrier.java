package io.litevault.bucket.s3;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.bucket.RequestRecorder;
import io.litevault.bucket.Operation;
import io.litevault.bucket.RetryPolicy;
import io.litevault.bucket.StoreUnavailableException;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one retry layer of the S3 stores: runs a request, counts it, classifies a failure and retries
 * retryable ones with the {@link RetryPolicy}'s backoff. The client libraries' own retries are off.
 */
final class Retrier {
  private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

  /** One request; may throw whatever the client throws. */
  @FunctionalInterface
  interface Request<T> {
    T send() throws Exception;
  }

  private final RetryPolicy policy;
  private final RequestRecorder metrics;
  private final Function<Throwable, Failure> classifier;
  private final String store;

  /** Where the client looked for credentials, for the message when it found none. */
  private final String credentialSources;

  Retrier(RetryPolicy policy, RequestRecorder metrics, Function<Throwable, Failure> classifier, String store,
      String credentialSources) {
    this.credentialSources = credentialSources;
    this.policy = policy;
    this.metrics = metrics;
    this.classifier = classifier;
    this.store = store;
  }

  RetryPolicy policy() {
    return policy;
  }

  Failure classify(Throwable t) {
    return classifier.apply(unwrap(t));
  }

  /** Sends an idempotent request, retrying it on retryable failures; {@code bytesOut} are counted per try. */
  <T> T call(Operation op, String key, long bytesOut, Request<T> request) {
    return call(op, key, bytesOut, request, policy.maxAttempts());
  }

  /** As {@link #call(Operation, String, long, Request)}, with at most {@code maxAttempts} attempts. */
  <T> T call(Operation op, String key, long bytesOut, Request<T> request, int maxAttempts) {
    int cap = Math.min(maxAttempts, policy.maxAttempts());
    for (int attempt = 1; ; attempt++) {
      metrics.request(op, attempt > 1);
      metrics.sent(op, bytesOut);
      try {
        return request.send();
      } catch (Exception e) {
        metrics.error(op);
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt(); // waiting on the client's future was interrupted: stop
        }
        Failure f = classify(e);
        if (!f.kind().retryable() || attempt >= cap) {
          throw translate(op, key, unwrap(e), f, attempt);
        }
        pause(op, key, f, attempt, unwrap(e));
      }
    }
  }

  /** Sleeps the backoff after failed attempt {@code attempt}; an interrupt ends the retries. */
  void pause(Operation op, String key, Failure f, int attempt, Throwable cause) {
    Duration d = policy.backoff(attempt);
    // One line per retry, so a slow or silent store is never a silent wait.
    LOG.warn("{}{} on {} failed: {}; retry {} of {} in {} ms", op.name().toLowerCase(java.util.Locale.ROOT),
        key == null ? "" : " " + key, store, f, attempt, policy.maxAttempts() - 1, d.toMillis());
    try {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      ObjectStoreException ex = translate(op, key, cause, f, attempt);
      ex.addSuppressed(ie);
      throw ex;
    }
  }

  /** The typed exception for a failure; the message names the store and never a secret. */
  ObjectStoreException translate(Operation op, String key, Throwable cause, Failure f, int attempts) {
    String name = op.name().toLowerCase(java.util.Locale.ROOT);
    if (f.kind() == ErrorKind.NOT_FOUND && key != null) {
      return new ObjectNotFoundException(name, key, store, cause);
    }
    String msg = name + (key == null ? "" : " " + key) + " on " + store + " failed: " + f
        + (attempts > 1 ? " after " + attempts + " attempts" : "")
        + (f.noCredentialsFound() ? "; " + credentialSources : "");
    return switch (f.kind()) {
      case BAD_CREDENTIALS, ACCESS_DENIED, NO_SUCH_BUCKET -> new StoreUnavailableException(f.kind(), name, msg, cause);
      default -> new ObjectStoreException(f.kind(), name, key, msg, cause);
    };
  }

  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException
            || c instanceof java.util.concurrent.ExecutionException
            || c instanceof java.io.UncheckedIOException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
