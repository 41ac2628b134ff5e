package dev.podium.examples.archive;

import java.nio.file.Path;
import java.util.Map;

/**
 * The service's configuration, from the environment. The Kafka and results-topic variables are
 * Podium's own names, so one environment configures the coordinator and this service alike.
 */
record Settings(
    String bootstrapServers,
    String requestTopic,
    String resultsTopic,
    String groupId,
    Path archiveDir,
    String worker) {

  static Settings fromEnvironment(Map<String, String> env) {
    return new Settings(
        env.getOrDefault("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "localhost:9092"),
        env.getOrDefault("ARCHIVE_REQUEST_TOPIC", "podium.steps.archive"),
        env.getOrDefault("PODIUM_TOPICS__STEP_RESULTS", "podium.step.results"),
        env.getOrDefault("ARCHIVE_GROUP_ID", "podium-archive"),
        Path.of(env.getOrDefault("ARCHIVE_DIR", "archive")),
        "java-archive/" + ProcessHandle.current().pid());
  }
}
