package io.litevault.replication.format;

import java.io.IOException;

/** For tests outside this package: a segment object rewritten as format version 1, the version before XORs. */
public final class SegmentVersions {
  private SegmentVersions() {}

  /** The same segment, same codec, encoded as version 1 (every page image whole). */
  public static byte[] asVersion1(byte[] object, String name) throws IOException {
    SegmentCodec.Header h = SegmentCodec.peekHeader(new java.io.ByteArrayInputStream(object), name);
    return SegmentCodec.encode(SegmentCodec.decode(object, name), h.codec(), SegmentCodec.VERSION_1, 0);
  }

  /** The format version in an object's header. */
  public static int version(byte[] object) {
    return ((object[4] & 0xff) << 8) | (object[5] & 0xff);
  }
}
