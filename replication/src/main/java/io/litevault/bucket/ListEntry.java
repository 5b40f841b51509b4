package io.litevault.bucket;

/**
 * One entry of a delimiter listing ({@link ObjectStore#list(String, String)}): either an object or a
 * common prefix that stands for every key sharing it up to the delimiter.
 */
public sealed interface ListEntry permits ObjectInfo, CommonPrefix {
  /** The object's key, or the common prefix including its trailing delimiter. */
  String key();
}
