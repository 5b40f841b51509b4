package io.litevault.bucket;

/**
 * The kinds of request an {@link ObjectStore} sends, as counted by {@link ObjectStoreMetrics}. Each is
 * one billable request to an S3 service (for the file store: one file-system operation).
 */
public enum Operation {
  PUT,
  CREATE_MULTIPART,
  UPLOAD_PART,
  COMPLETE_MULTIPART,
  ABORT_MULTIPART,
  GET,
  HEAD,
  LIST,
  DELETE,
  DELETE_BATCH,
  COPY,
  HEAD_BUCKET
}
