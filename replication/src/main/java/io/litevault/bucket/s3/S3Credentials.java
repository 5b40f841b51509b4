package io.litevault.bucket.s3;

import java.util.Objects;

/**
 * An access key pair. {@link #toString()} shows the access key id only; the secret never appears in a
 * log, a message or a {@code toString}.
 *
 * @param accessKeyId the access key id (not secret)
 * @param secretAccessKey the secret
 */
public record S3Credentials(String accessKeyId, String secretAccessKey) {
  public S3Credentials {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    if (accessKeyId.isBlank() || secretAccessKey.isBlank()) {
      throw new IllegalArgumentException("access key id and secret must not be blank");
    }
  }

  @Override
  public String toString() {
    return "S3Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***]";
  }
}
