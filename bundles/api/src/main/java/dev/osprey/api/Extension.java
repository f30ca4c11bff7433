package dev.osprey.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What every extension point has in common: a name users type on the command line
 * ({@code --reward_funcs accuracy}, {@code --infer_backend vllm}, {@code --rlhf_type dpo}).
 *
 * <p>Extensions are OSGi services, usually Declarative Services components. The platform finds them
 * through the whiteboard pattern: publish the service and it is usable; unregister it (stop or
 * uninstall the bundle) and it is gone. Names are unique per extension kind; when two services of one
 * kind share a name, the one with the highest service ranking wins and the inventory reports the clash.
 *
 * <p>An extension instance may be called from several threads at once unless its own Javadoc says
 * otherwise, and it must keep no global state, so that its bundle can be updated or removed.
 */
@ConsumerType
public interface Extension {

    /** The name users select this extension by: lower case, no spaces, stable across versions. */
    String name();

    /** One line for {@code osprey plugins}; empty by default. */
    default String description() {
        return "";
    }
}
