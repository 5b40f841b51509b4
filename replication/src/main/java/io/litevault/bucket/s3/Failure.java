package io.litevault.bucket.s3;

import io.litevault.bucket.ErrorKind;

/**
 * A client exception classified: the kind, the HTTP status (0 if no answer came) and the S3 error code
 * ({@code ""} if none).
 */
record Failure(ErrorKind kind, int status, String code) {
  /** The code of a request that was never sent: the client found no credentials anywhere. */
  static final String NO_CREDENTIALS = "NoCredentials";

  /** The client found no credentials: nothing was sent. */
  static Failure noCredentials() {
    return new Failure(ErrorKind.BAD_CREDENTIALS, 0, NO_CREDENTIALS);
  }

  boolean noCredentialsFound() {
    return NO_CREDENTIALS.equals(code);
  }

  /** Classifies an answer by its status and S3 error code, the same way for both clients. */
  static Failure ofResponse(int status, String code) {
    String c = code == null ? "" : code;
    ErrorKind kind;
    switch (c) {
      case "NoSuchKey", "NoSuchUpload" -> kind = ErrorKind.NOT_FOUND;
      case "NoSuchBucket" -> kind = ErrorKind.NO_SUCH_BUCKET;
      case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken" ->
          kind = ErrorKind.BAD_CREDENTIALS;
      case "AccessDenied", "AllAccessDisabled" -> kind = ErrorKind.ACCESS_DENIED;
      case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
          "ConditionalRequestConflict" -> kind = ErrorKind.THROTTLED;
      case "RequestTimeout", "RequestTimeTooSkewed" -> kind = ErrorKind.TIMEOUT;
      case "InternalError", "ServiceUnavailable" -> kind = ErrorKind.SERVER_ERROR;
      case "PreconditionFailed" -> kind = ErrorKind.PRECONDITION_FAILED;
      default -> kind = byStatus(status);
    }
    return new Failure(kind, status, c);
  }

  private static ErrorKind byStatus(int status) {
    if (status == 404) {
      return ErrorKind.NOT_FOUND;
    } else if (status == 403) {
      return ErrorKind.ACCESS_DENIED;
    } else if (status == 412) {
      return ErrorKind.PRECONDITION_FAILED;
    } else if (status == 429 || status == 503) {
      return ErrorKind.THROTTLED;
    } else if (status == 408) {
      return ErrorKind.TIMEOUT;
    } else if (status >= 500) {
      return ErrorKind.SERVER_ERROR;
    }
    return ErrorKind.OTHER;
  }

  /** Classifies an I/O failure with no answer. */
  static Failure ofIo(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.net.SocketTimeoutException || c instanceof java.io.InterruptedIOException
          || c.getClass().getSimpleName().contains("Timeout")) {
        return new Failure(ErrorKind.TIMEOUT, 0, "");
      }
    }
    return new Failure(ErrorKind.CONNECTION, 0, "");
  }

  @Override
  public String toString() {
    if (noCredentialsFound()) {
      return "no credentials found (nothing was sent)";
    }
    return kind + (status == 0 ? " (no answer)" : " (HTTP " + status + (code.isEmpty() ? "" : " " + code) + ")");
  }
}
