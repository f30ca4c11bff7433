/** Reading datasets in ms-swift's formats as conversations, for those outside the training pipeline (inference, the web UI). */
@Version("1.0.0")
@Export
package dev.osprey.api.dataset;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
