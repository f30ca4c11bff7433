/**
 * Model location and hub downloads: resolves a {@code --model} value to a local folder (an existing
 * path, the Hugging Face cache or the ModelScope cache, in ms-swift's order) and downloads missing
 * models from the Hugging Face or ModelScope hub into those caches' own layouts, resumably and with
 * integrity checks; and uploads (pushes) folders to either hub with its own upload protocol, resumably (1.2).
 * Platform-internal: exported for Osprey's own bundles (command line, engine, web
 * API), not part of the API third parties compile against.
 */
@Version("1.2.0")
@Export
package dev.osprey.hub;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
