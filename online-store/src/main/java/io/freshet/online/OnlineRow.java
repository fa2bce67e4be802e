package io.freshet.online;

/**
 * One key of window-end rows as one run of {@link RowReadScript} saw it.
 *
 * @param readMicros the store's clock ({@code TIME}) when it was read, in epoch microseconds: the
 *     request instant; the row, if any, has a visibility stamp at most this
 * @param value the stored value (the encoded row then its stamp, see {@link NewestWinsScript}), or
 *     null when the key holds none
 */
public record OnlineRow(long readMicros, byte[] value) {}
