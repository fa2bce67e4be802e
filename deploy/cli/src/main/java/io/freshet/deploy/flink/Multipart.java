package io.freshet.deploy.flink;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A {@code multipart/form-data} body with one file part, as {@code POST /jars/upload} expects. */
final class Multipart {
  private final String boundary;
  private final byte[] bytes;

  private Multipart(String boundary, byte[] bytes) {
    this.boundary = boundary;
    this.bytes = bytes;
  }

  static Multipart ofFile(
      String boundary, String field, String fileName, String contentType, byte[] content) {
    if (fileName.contains("\"") || fileName.contains("\r") || fileName.contains("\n")) {
      throw new IllegalArgumentException(
          "file name '" + fileName + "' cannot be sent in a multipart header (rename the file)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 512);
    String head =
        "--"
            + boundary
            + "\r\n"
            + "Content-Disposition: form-data; name=\""
            + field
            + "\"; filename=\""
            + fileName
            + "\"\r\n"
            + "Content-Type: "
            + contentType
            + "\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(content);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return new Multipart(boundary, out.toByteArray());
  }

  String contentType() {
    return "multipart/form-data; boundary=" + boundary;
  }

  byte[] bytes() {
    return bytes.clone();
  }
}
