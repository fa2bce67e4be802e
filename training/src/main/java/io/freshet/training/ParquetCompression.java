package io.freshet.training;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * How the pages of a Parquet training set are compressed. ZSTD is the default: training sets are
 * written once and read many times, and ZSTD makes them about a tenth of their plain size at a
 * small cost in writing.
 */
public enum ParquetCompression {
  /** Zstandard, the default. */
  ZSTD(CompressionCodecName.ZSTD),
  /** Snappy: faster to write and read, larger files. */
  SNAPPY(CompressionCodecName.SNAPPY),
  /** Gzip, for readers that know nothing newer. */
  GZIP(CompressionCodecName.GZIP),
  /** No compression; pages are still dictionary- and RLE-encoded. */
  NONE(CompressionCodecName.UNCOMPRESSED);

  private final CompressionCodecName codec;

  ParquetCompression(CompressionCodecName codec) {
    this.codec = codec;
  }

  CompressionCodecName codec() {
    return codec;
  }

  /** The name as the command line takes it, e.g. {@code zstd}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The compression named {@code text} (any case).
   *
   * @throws IllegalArgumentException naming the known compressions when there is none such
   */
  public static ParquetCompression parse(String text) {
    for (ParquetCompression c : values()) {
      if (c.cliName().equalsIgnoreCase(text == null ? "" : text.trim())) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown Parquet compression '"
            + text
            + "' (use one of "
            + Arrays.stream(values())
                .map(ParquetCompression::cliName)
                .collect(Collectors.joining(", "))
            + ")");
  }
}
