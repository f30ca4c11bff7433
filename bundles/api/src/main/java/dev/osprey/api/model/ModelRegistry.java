package dev.osprey.api.model;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The models Osprey knows by id. Entries are data: a model bundle lists them in a JSON file named by its
 * {@value #MODELS_HEADER} manifest header; the kernel's extender reads the file when the bundle starts and
 * drops its entries when it stops. Thread-safe; results are snapshots.
 *
 * <p>The file is a JSON array of objects with the fields {@code id}, {@code modelscope_id},
 * {@code model_type}, {@code architecture}, {@code template}, {@code tags} and {@code requires}.
 */
@ProviderType
public interface ModelRegistry {

    /** The manifest header that names a bundle's registry file, e.g. {@code Osprey-Models: models.json}. */
    String MODELS_HEADER = "Osprey-Models";

    /** All entries, sorted by id. */
    List<ModelEntry> entries();

    /** The entry whose Hugging Face or ModelScope id equals {@code id}, ignoring case. */
    Optional<ModelEntry> find(String id);

    /** The entries run by one {@code model_type}. */
    List<ModelEntry> byModelType(String modelType);
}
