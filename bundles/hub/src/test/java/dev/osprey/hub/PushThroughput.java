package dev.osprey.hub;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Not a test: times a push of one large random file to {@link FakeHub} over loopback (multi-part, 64 MiB parts as
 * the Hub gives them) and the SHA-256 it needs first, for docs/benchmarks.md. {@code java -cp ... PushThroughput MB}.
 */
public final class PushThroughput {

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        Path dir = Files.createTempDirectory("push-bench");
        Path folder = dir.resolve("model");
        Files.createDirectories(folder);
        Random random = new Random(1);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(folder.resolve("model.safetensors"))) {
            for (int i = 0; i < mb; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        Files.writeString(folder.resolve("config.json"), "{\"model_type\":\"llama\"}");
        try (FakeHub hub = FakeHub.empty("bench/model", "hf_bench")) {
            hub.uploads.chunkSize = 64L << 20;
            hub.uploads.multipartThreshold = 64L << 20;
            HubOptions options = new HubOptions(
                    true,
                    null,
                    hub.endpoint(),
                    hub.endpoint(),
                    "hf_bench",
                    false,
                    dir.resolve("hf"),
                    dir.resolve("ms"),
                    List.of(),
                    List.of());
            long t0 = System.nanoTime();
            new dev.osprey.hub.impl.LocalFolder.Entry("m", folder.resolve("model.safetensors"), (long) mb << 20)
                    .sha256();
            long t1 = System.nanoTime();
            PushResult r = new HuggingFacePush(options, DownloadProgress.NONE, null, 0, 0, dir.resolve("state"))
                    .push(new PushRequest("bench/model", folder, false, null, null));
            long t2 = System.nanoTime();
            System.out.printf(
                    "%d MB: sha256 %.2f s (%.0f MB/s); whole push (hash + %d parts + commit) %.2f s (%.0f MB/s); %s%n",
                    mb,
                    (t1 - t0) / 1e9,
                    mb * 1.048576 / ((t1 - t0) / 1e9),
                    (mb + 63) / 64,
                    (t2 - t1) / 1e9,
                    mb * 1.048576 / ((t2 - t1) / 1e9),
                    hub.uploads.violations.isEmpty() ? "protocol clean" : "VIOLATIONS");
        }
    }
}
