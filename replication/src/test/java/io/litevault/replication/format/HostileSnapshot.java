package io.litevault.replication.format;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Version-2 snapshot bytes written by hand (docs/FORMAT.md, "Snapshot"), with whatever header, chunk
 * fields and index a hostile or damaged writer chose, and every CRC right: what a reader must survive
 * without trusting the sizes it is told. Test helper of the chunk review.
 */
public final class HostileSnapshot {
  private HostileSnapshot() {}

  /** The codec id byte of a snapshot's header (offset 6). */
  public static int codecId(byte[] snapshot) {
    return snapshot[6] & 0xff;
  }

  /**
   * @param entries per chunk {compressed length, CRC-32C, page-hash XOR}
   * @param payload the chunks' bytes
   */
  public static byte[] v2(int codecId, int pageSize, int dbSizePages, long txid, long ts, long salt1, long salt2,
      long walOffset, String lineage, int chunkPages, int chunkCount, long[][] entries, byte[] payload,
      long databaseChecksum) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(SnapshotCodec.MAGIC);
    out.writeShort(SnapshotCodec.VERSION_CHUNKED);
    out.writeByte(codecId);
    out.writeByte(0);
    out.writeInt(pageSize);
    out.writeInt(dbSizePages);
    out.writeLong(txid);
    out.writeLong(ts);
    out.writeLong(payload.length);
    out.writeInt((int) salt1);
    out.writeInt((int) salt2);
    out.writeLong(walOffset);
    byte[] l = lineage.getBytes(StandardCharsets.US_ASCII);
    out.writeByte(l.length);
    out.write(l);
    out.writeInt(chunkPages);
    out.writeInt(chunkCount);
    for (long[] e : entries) {
      out.writeLong(e[0]);
      out.writeInt((int) e[1]);
      out.writeLong(e[2]);
    }
    out.flush();
    CRC32C crc = new CRC32C();
    crc.update(bytes.toByteArray());
    out.writeInt((int) crc.getValue());
    out.write(payload);
    out.writeLong(databaseChecksum);
    out.flush();
    CRC32C all = new CRC32C();
    all.update(bytes.toByteArray());
    out.writeInt((int) all.getValue());
    out.flush();
    return bytes.toByteArray();
  }
}
