package dev.podium.examples.archive;

/**
 * Entry point: runs the archive step service until SIGTERM or SIGINT, then stops cleanly (the
 * batch in hand is finished and committed, the consumer leaves its group).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    // kafka-clients logs through slf4j: warnings and errors only, on stderr
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Settings settings = Settings.fromEnvironment(System.getenv());
    StepService service = new StepService(settings, Contract.load(), new ArchiveStep(settings));
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.stop();
                  joinQuietly(main);
                }));
    service.run();
  }

  private static void joinQuietly(Thread thread) {
    try {
      thread.join(20_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
