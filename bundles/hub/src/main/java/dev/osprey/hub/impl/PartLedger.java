package dev.osprey.hub.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The parts of one multi-part LFS upload that the storage already accepted, kept in {@code {dir}/{oid}.json} so that
 * an interrupted push sends only the rest. A ledger belongs to one upload: the completion URL the hub gave and the
 * part size; when the hub offers another upload for the object (a new upload id), the old parts count for nothing.
 * The file holds no token, only the object id, the hub's completion URL and the storage's part ETags.
 */
public final class PartLedger {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String upload;
    private final long chunkSize;
    private final TreeMap<Integer, String> etags = new TreeMap<>();

    private PartLedger(Path file, String upload, long chunkSize) {
        this.file = file;
        this.upload = upload;
        this.chunkSize = chunkSize;
    }

    /** The ledger of object {@code oid} for the upload completed at {@code upload}; the parts recorded for it. */
    public static PartLedger open(Path dir, String oid, String upload, long chunkSize) {
        PartLedger ledger = new PartLedger(dir.resolve(oid + ".json"), upload, chunkSize);
        try {
            if (Files.isRegularFile(ledger.file)) {
                JsonNode root = JSON.readTree(ledger.file.toFile());
                if (upload.equals(root.path("upload").asText())
                        && chunkSize == root.path("chunk_size").asLong()) {
                    root.path("etags")
                            .fields()
                            .forEachRemaining(e -> ledger.etags.put(
                                    Integer.parseInt(e.getKey()), e.getValue().asText()));
                }
            }
        } catch (IOException | RuntimeException e) {
            ledger.etags.clear(); // an unreadable ledger: send every part again
        }
        return ledger;
    }

    /** The ETag the storage gave part {@code number} (1-based), or null when it was not sent yet. */
    public String etag(int number) {
        return etags.get(number);
    }

    /** Records an accepted part at once (written atomically), so a crash right after it loses nothing. */
    public void accepted(int number, String etag) throws IOException {
        etags.put(number, etag);
        ObjectNode root = JSON.createObjectNode();
        root.put("upload", upload);
        root.put("chunk_size", chunkSize);
        Map<String, String> byNumber = new LinkedHashMap<>();
        etags.forEach((k, v) -> byNumber.put(String.valueOf(k), v));
        root.set("etags", JSON.valueToTree(byNumber));
        Transfer.writeAtomically(file, JSON.writeValueAsString(root));
    }

    /** The upload is complete: the ledger is no longer needed. */
    public void delete() throws IOException {
        Files.deleteIfExists(file);
    }
}
