package dev.podium.examples.archive;

/**
 * A record value this service cannot read as one of its request types. {@code reason} and
 * {@code detail} are the dead letter's {@code podium-dlq-reason} and {@code podium-dlq-detail},
 * the same codes Podium's own consumers write (docs/contract.md, "Dead letters").
 */
final class Undecodable extends Exception {
  final String reason;
  final String detail;

  Undecodable(String reason, String detail, String message) {
    super(message);
    this.reason = reason;
    this.detail = detail;
  }
}
