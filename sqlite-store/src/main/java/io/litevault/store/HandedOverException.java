package io.litevault.store;

/**
 * A write reached a database whose store is being handed over to a successor process (a deploy): it was
 * refused before anything of it ran, so sending it again — to the successor, once it has opened the same
 * directory — can neither lose it nor apply it twice. Every write accepted before the handover began is
 * committed (and, with replication, shipped) before the store lets go of its files.
 */
public final class HandedOverException extends StoreException {
  private static final long serialVersionUID = 1L;

  public HandedOverException(String database) {
    super(database, "database '" + database + "' is being handed over to a successor process: this write was not "
        + "executed; send it again to the successor once it has opened the store (safe: nothing of it was committed)");
  }
}
