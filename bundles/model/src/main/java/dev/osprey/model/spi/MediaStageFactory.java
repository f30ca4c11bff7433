package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** Makes a family's {@link MediaStage}, declaring its parameters (vision tower, aligner) under their checkpoint keys. */
@ConsumerType
@FunctionalInterface
public interface MediaStageFactory {

    /** @param parameters the model's parameters, where the stage declares its own */
    MediaStage create(Parameters parameters);
}
