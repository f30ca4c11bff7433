package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** Makes one kind of {@link Norm}: the built-in RMSNorm ({@link Blocks#rmsNorm}) or a family's own. */
@ConsumerType
@FunctionalInterface
public interface NormFactory {

    /**
     * @param parameters where the norm declares its parameters, if it has any
     * @param module its module name, e.g. {@code model.layers.0.input_layernorm} (its scale is {@code MODULE.weight})
     * @param size the features it normalises
     */
    Norm create(Parameters parameters, String module, long size);
}
