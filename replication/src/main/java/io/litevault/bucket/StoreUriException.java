package io.litevault.bucket;

/**
 * A store URI that cannot be used, with what is wrong as a {@link Problem}. Its message quotes the URI with
 * any user-info replaced by {@code ***}, so a secret typed into a URI is never echoed. An
 * {@link IllegalArgumentException}: it is the caller's input that is wrong.
 */
public final class StoreUriException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the URI. */
  public enum Problem {
    /** Not URI syntax at all (a space, a bad escape...). */
    NOT_A_URI,
    /** A scheme other than {@code file} and {@code s3}, or none (a plain path). */
    UNKNOWN_SCHEME,
    /** {@code s3:///prefix}: no bucket. */
    MISSING_BUCKET,
    /** A bucket name S3 would refuse. */
    BAD_BUCKET_NAME,
    /** A {@code file:} URI that is not {@code file:///absolute/dir}: a host, a relative path, no path. */
    BAD_PATH,
    /** User-info ({@code user:secret@}) in the URI: credentials never come from a URI. */
    CREDENTIALS_IN_URI,
    /** A port, query or fragment, which no store URI has. */
    UNSUPPORTED_PART
  }

  private final Problem problem;

  StoreUriException(Problem problem, String message) {
    super(message);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }
}
