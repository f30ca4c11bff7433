package dev.osprey.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A model folder served by the hub bundle's {@link FakeHub} (both hubs' URL layouts) as the repository {@code repoId}. */
public final class ServedFolder implements AutoCloseable {

    private final FakeHub hub;

    public ServedFolder(String repoId, Path folder) throws IOException {
        hub = new FakeHub(repoId);
        hub.files.clear();
        hub.lfs.clear();
        try (var files = Files.list(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                hub.files.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        hub.lfs.add(FakeHub.MODEL); // the weights as the Hub stores them, behind a CDN redirect
    }

    /** Hub settings pointing both hubs at this server, with caches under {@code home}. */
    public HubOptions options(boolean useHf, Path home) {
        return HubOptions.fromEnvironment(
                useHf,
                Map.of(
                        "HF_ENDPOINT",
                        hub.endpoint(),
                        "MODELSCOPE_DOMAIN",
                        hub.endpoint(),
                        "HF_HUB_CACHE",
                        home.resolve("hf").toString(),
                        "MODELSCOPE_CACHE",
                        home.resolve("ms").toString()),
                home);
    }

    @Override
    public void close() {
        hub.close();
    }
}
