package dev.osprey.media;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Fetches the bytes behind a media reference and decodes them: a local path (a relative one is resolved
 * against the base folder, e.g. the dataset's folder), a {@code file:} URL, an {@code http(s):} URL (only
 * when {@link Limits#allowHttp()}, with a timeout and a size limit) or a {@code data:} URI in base64.
 */
public final class MediaLoader {

    /**
     * @param maxBytes the largest file, download or data URI accepted
     * @param httpTimeout connect and read timeout of a download
     * @param allowHttp whether {@code http(s):} references are fetched at all
     * @param allowedRoots the folders local files must lie in (after following links), e.g. for a server; empty
     *     for any
     */
    public record Limits(long maxBytes, Duration httpTimeout, boolean allowHttp, List<Path> allowedRoots) {
        /** 64 MiB, 20 s, downloads allowed, any local file. */
        public static final Limits DEFAULT = new Limits(64L << 20, Duration.ofSeconds(20), true, List.of());

        public Limits {
            allowedRoots = List.copyOf(allowedRoots);
        }

        public Limits(long maxBytes, Duration httpTimeout, boolean allowHttp) {
            this(maxBytes, httpTimeout, allowHttp, List.of());
        }
    }

    private final Path baseFolder;
    private final Limits limits;
    private volatile HttpClient http;

    /** @param baseFolder the folder relative paths are resolved against; null for the working directory */
    public MediaLoader(Path baseFolder, Limits limits) {
        this.baseFolder = baseFolder == null ? Path.of("") : baseFolder;
        this.limits = limits == null ? Limits.DEFAULT : limits;
    }

    public MediaLoader(Path baseFolder) {
        this(baseFolder, Limits.DEFAULT);
    }

    /** The reference decoded as an image, EXIF orientation applied. */
    public RgbImage image(MediaRef ref) {
        return ImageDecoder.decode(bytes(ref), ref);
    }

    /** The frames of a video given as a list of frame images (as ms-swift accepts), in order. */
    public List<RgbImage> frames(List<MediaRef> frames) {
        return frames.stream().map(this::image).toList();
    }

    /**
     * A video: a local folder of frame images (sorted by file name, all kept, taken at {@code framesFps}), else a
     * video file (MP4/MOV with H.264, animated GIF; see {@link VideoDecoder}) of which {@code sampler} picks the frames.
     */
    public Video video(MediaRef ref, Video.FrameSampler sampler, double framesFps) {
        Path folder = localFolder(ref);
        if (folder != null) {
            List<Path> files;
            try (var listing = Files.list(folder)) {
                files = listing.filter(Files::isRegularFile)
                        .filter(f -> !f.getFileName().toString().startsWith("."))
                        .sorted()
                        .toList();
            } catch (IOException e) {
                throw ref.error("cannot list the folder " + folder + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw ref.error("the folder " + folder + " holds no frames");
            }
            List<RgbImage> frames = new java.util.ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                MediaRef frame =
                        new MediaRef("video frame", files.get(i).toString(), ref.describe() + ", frame " + (i + 1));
                frames.add(image(frame));
            }
            return Video.ofFrames(frames, framesFps);
        }
        return VideoDecoder.decode(bytes(ref), ref, sampler);
    }

    /** The folder a local reference names, or null when it is not a local folder. */
    private Path localFolder(MediaRef ref) {
        String reference = ref.reference().strip();
        String lower = reference.toLowerCase(Locale.ROOT);
        if (reference.isEmpty()
                || lower.startsWith("data:")
                || lower.startsWith("http://")
                || lower.startsWith("https://")) {
            return null;
        }
        Path path;
        try {
            path = lower.startsWith("file:") ? Path.of(URI.create(reference)) : Path.of(reference);
        } catch (IllegalArgumentException e) {
            return null;
        }
        Path resolved = baseFolder.resolve(path).toAbsolutePath().normalize();
        if (!Files.isDirectory(resolved)) {
            return null;
        }
        try {
            if (!limits.allowedRoots().isEmpty() && !allowed(resolved.toRealPath())) {
                throw ref.error("folder " + resolved + " is outside the allowed folders " + limits.allowedRoots());
            }
        } catch (IOException e) {
            throw ref.error("cannot read " + resolved + ": " + e.getMessage(), e);
        }
        return resolved;
    }

    /** The bytes behind the reference. */
    public byte[] bytes(MediaRef ref) {
        String reference = ref.reference().strip();
        if (reference.isEmpty()) {
            throw ref.error("empty reference");
        }
        String lower = reference.toLowerCase(Locale.ROOT);
        if (lower.startsWith("data:")) {
            return dataUri(ref, reference);
        }
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return download(ref, reference);
        }
        if (lower.startsWith("file:")) {
            Path path;
            try {
                path = Path.of(URI.create(reference));
            } catch (IllegalArgumentException e) {
                // file:relative/x.png or an unescaped space: take the text after the scheme as a path
                path = Path.of(
                        URLDecoder.decode(reference.substring(5).replaceFirst("^//", ""), StandardCharsets.UTF_8));
            }
            return file(ref, path);
        }
        return file(ref, Path.of(reference));
    }

    private byte[] file(MediaRef ref, Path path) {
        Path resolved = baseFolder.resolve(path).toAbsolutePath().normalize();
        try {
            if (!limits.allowedRoots().isEmpty() && !allowed(resolved.toRealPath())) {
                throw ref.error("file " + resolved + " is outside the allowed folders " + limits.allowedRoots());
            }
            long size = Files.size(resolved);
            if (size > limits.maxBytes()) {
                throw ref.error("file is " + size + " bytes, more than the limit of " + limits.maxBytes());
            }
            return Files.readAllBytes(resolved);
        } catch (NoSuchFileException e) {
            throw ref.error("file not found: " + resolved);
        } catch (IOException e) {
            throw ref.error("cannot read " + resolved + ": " + e.getMessage(), e);
        }
    }

    private boolean allowed(Path real) throws IOException {
        for (Path root : limits.allowedRoots()) {
            if (Files.exists(root) && real.startsWith(root.toRealPath())) {
                return true;
            }
        }
        return false;
    }

    private byte[] dataUri(MediaRef ref, String reference) {
        int comma = reference.indexOf(',');
        if (comma < 0) {
            throw ref.error("a data URI needs a comma before its payload");
        }
        String header = reference.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!header.endsWith(";base64")) {
            throw ref.error("only base64 data URIs are supported (data:<type>;base64,...)");
        }
        String payload = reference.substring(comma + 1).strip();
        if (payload.length() / 4L * 3 > limits.maxBytes()) {
            throw ref.error("data URI holds more than the limit of " + limits.maxBytes() + " bytes");
        }
        try {
            return Base64.getDecoder().decode(payload.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ref.error("data URI is not valid base64: " + e.getMessage());
        }
    }

    private byte[] download(MediaRef ref, String reference) {
        if (!limits.allowHttp()) {
            throw ref.error("fetching http(s) URLs is turned off");
        }
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(reference))
                    .timeout(limits.httpTimeout())
                    .GET()
                    .build();
        } catch (IllegalArgumentException e) {
            throw ref.error("not a valid URL: " + e.getMessage());
        }
        try {
            HttpResponse<InputStream> response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() / 100 != 2) {
                    throw ref.error("HTTP " + response.statusCode());
                }
                long declared =
                        response.headers().firstValueAsLong("content-length").orElse(-1);
                if (declared > limits.maxBytes()) {
                    throw ref.error("download is " + declared + " bytes, more than the limit of " + limits.maxBytes());
                }
                return readLimited(ref, body);
            }
        } catch (IOException e) {
            throw ref.error("download failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ref.error("download interrupted", e);
        }
    }

    private byte[] readLimited(MediaRef ref, InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > limits.maxBytes()) {
                throw ref.error("download is more than the limit of " + limits.maxBytes() + " bytes");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    http = HttpClient.newBuilder()
                            .connectTimeout(limits.httpTimeout())
                            .followRedirects(HttpClient.Redirect.NORMAL)
                            .build();
                }
                c = http;
            }
        }
        return c;
    }
}
