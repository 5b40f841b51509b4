package io.litevault.testing;

import java.util.Locale;
import java.util.Map;

/**
 * The head of one HTTP request seen by {@link FaultProxy}: method, target (path and query) and headers
 * (names in lower case).
 */
public record HttpRequestHead(String method, String target, Map<String, String> headers) {
  /** The header's value or {@code null}; {@code name} in any case. */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** Whether this is an S3 UploadPart ({@code PUT ...?partNumber=}). */
  public boolean isUploadPart() {
    return "PUT".equals(method) && target.contains("partNumber=");
  }

  /** Whether this is a ListObjectsV2 ({@code GET /bucket?list-type=2...}). */
  public boolean isList() {
    return "GET".equals(method) && target.contains("list-type=2");
  }

  /** Whether this is a GET of an object (not a listing). */
  public boolean isObjectGet() {
    return "GET".equals(method) && !target.contains("list-type=") && !target.contains("uploads");
  }

  /** Whether this is a single-request object PUT (not a part, not a copy). */
  public boolean isObjectPut() {
    return "PUT".equals(method) && !target.contains("partNumber=") && header("x-amz-copy-source") == null;
  }
}
