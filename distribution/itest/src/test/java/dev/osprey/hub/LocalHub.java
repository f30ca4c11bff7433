package dev.osprey.hub;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** The hub bundle's {@link FakeHub} (both hubs' download and upload APIs) for tests outside its package. */
public final class LocalHub implements AutoCloseable {

    private final FakeHub hub;

    private LocalHub(FakeHub hub) {
        this.hub = hub;
    }

    /** A hub where {@code repoId} does not exist yet, taking pushes with {@code token}. */
    public static LocalHub empty(String repoId, String token) throws IOException {
        return new LocalHub(FakeHub.empty(repoId, token));
    }

    public String endpoint() {
        return hub.endpoint();
    }

    /** The repository's files, as the last commit left them. */
    public Map<String, byte[]> files() {
        return Map.copyOf(hub.files);
    }

    /** Breaches of the upload protocol the hub saw (none expected). */
    public List<String> violations() {
        return List.copyOf(hub.uploads.violations);
    }

    /** The commits' messages. */
    public List<String> commits() {
        return List.copyOf(hub.uploads.commits);
    }

    /** The visibility a push created the repository with. */
    public String createdVisibility() {
        return hub.uploads.createdVisibility;
    }

    @Override
    public void close() {
        hub.close();
    }
}
