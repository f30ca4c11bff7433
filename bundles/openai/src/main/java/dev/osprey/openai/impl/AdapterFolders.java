package dev.osprey.openai.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Which folders {@code POST /v1/load_lora_adapter} may read, and how many adapters may be loaded: a
 * path must lie under one of the roots ({@code adapter_roots}; by default the folders holding the
 * adapters given at start), after links are followed, so a client cannot make the server read other
 * files; a relative path is read against each root in turn.
 *
 * @param roots absolute, normalized folders; none means no adapter can be loaded at runtime
 * @param maxLoras {@code max_loras}: adapters served at once, those given at start included
 */
record AdapterFolders(List<Path> roots, int maxLoras) {

    static final int DEFAULT_MAX_LORAS = 16;

    AdapterFolders {
        roots = roots.stream().map(AdapterFolders::canonical).distinct().toList();
    }

    /** The root as links resolve it, so that the real paths of requested folders compare with it. */
    private static Path canonical(Path root) {
        Path absolute = root.toAbsolutePath().normalize();
        try {
            return absolute.toRealPath();
        } catch (IOException e) {
            return absolute; // not there (yet): nothing under it can be loaded until it is
        }
    }

    /** The folder to load {@code requested} from; 400 outside the roots, 404 when it is not there. */
    Path resolve(String requested) {
        if (roots.isEmpty()) {
            throw ApiException.badRequest(
                    "this server loads no adapters at runtime: no adapter_roots are set (start it with"
                            + " --adapter_roots DIR, or give adapters at start, whose folders are then the roots)",
                    "lora_path");
        }
        Path given;
        try {
            given = Path.of(requested);
        } catch (InvalidPathException e) {
            throw ApiException.badRequest("'lora_path' is not a path: " + e.getMessage(), "lora_path");
        }
        List<Path> candidates = given.isAbsolute()
                ? List.of(given.normalize())
                : roots.stream().map(r -> r.resolve(given).normalize()).toList();
        for (Path candidate : candidates) {
            if (under(candidate) && Files.exists(candidate)) {
                Path real = realPath(candidate);
                if (!under(real)) {
                    throw outside(requested + " (a link to " + real + ")");
                }
                if (!Files.isDirectory(real)) {
                    throw ApiException.badRequest(
                            "'lora_path' " + requested + " is a file; give the adapter's folder (with"
                                    + " adapter_config.json and adapter_model.safetensors)",
                            "lora_path");
                }
                return real;
            }
        }
        if (candidates.stream().noneMatch(this::under)) {
            throw outside(requested);
        }
        throw new ApiException(
                404,
                "invalid_request_error",
                "no adapter folder at " + requested + " (looked in "
                        + candidates.stream()
                                .filter(this::under)
                                .map(Path::toString)
                                .toList() + ")",
                "lora_path",
                "not_found");
    }

    /** 400 when {@code loaded} adapters already fill {@code max_loras}. */
    void checkRoom(long loaded) {
        if (loaded >= maxLoras) {
            throw ApiException.badRequest(
                    "this server already serves " + loaded + " adapters, its limit (setting max_loras);"
                            + " unload one first",
                    "lora_name");
        }
    }

    private boolean under(Path path) {
        return roots.stream().anyMatch(path::startsWith);
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read " + path + ": " + e, "lora_path");
        }
    }

    private ApiException outside(String requested) {
        return ApiException.badRequest(
                "'lora_path' " + requested + " is outside the adapter roots " + roots + " (setting adapter_roots)",
                "lora_path");
    }
}
