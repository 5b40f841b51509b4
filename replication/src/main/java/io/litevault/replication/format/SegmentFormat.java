package io.litevault.replication.format;

/**
 * Which segment format version a replicator writes (docs/FORMAT.md, "Segment"). Every release reads what
 * it writes; only releases from version 2's own (2026-12-03) on read version 2.
 */
public enum SegmentFormat {
  /** Every image of a page whole: read by every Litevault release. The default. */
  V1(SegmentCodec.VERSION_1),
  /**
   * A page's later images in a segment as XORs with its previous one, where that makes the segment smaller
   * (else the segment is still written as version 1): about 48% fewer bytes uploaded per write on the demo.
   * Releases before it cannot read these segments: see docs/FORMAT.md, "Turning version 2 on".
   */
  V2(SegmentCodec.VERSION);

  private final int version;

  SegmentFormat(int version) {
    this.version = version;
  }

  /** The format version number in the segment's header (the highest this choice writes). */
  public int version() {
    return version;
  }
}
