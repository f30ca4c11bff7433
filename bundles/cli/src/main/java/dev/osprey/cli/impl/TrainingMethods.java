package dev.osprey.cli.impl;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;

/**
 * The installed training methods as the training commands see them: the arguments each describes, and its
 * check of a job's arguments. {@code sft} and {@code pt} are supervised; every other method is an alignment
 * method, run by {@code osprey rlhf --rlhf_type NAME}.
 */
final class TrainingMethods {

    static final List<String> SUPERVISED = List.of("sft", "pt");

    private TrainingMethods() {}

    /** The arguments {@code method} describes; empty when no such method is installed. */
    static List<ArgumentSpec> arguments(ExtensionRegistry registry, String method) {
        Optional<ExtensionHandle<TrainingMethod>> found = registry.acquire(TrainingMethod.class, method);
        if (found.isEmpty()) {
            return List.of();
        }
        try (ExtensionHandle<TrainingMethod> handle = found.get()) {
            return handle.get().arguments();
        }
    }

    /**
     * Fails unless {@code method} is installed, before its options are read (without the method the command has none).
     *
     * @throws IllegalArgumentException naming the method and the installed ones
     */
    static void require(ExtensionRegistry registry, String method) {
        registry.require(TrainingMethod.class, method).close();
    }

    /** The installed alignment methods, by name. */
    static List<String> alignmentMethods(ExtensionRegistry registry) {
        return registry.list(ExtensionKind.TRAINING_METHOD).stream()
                .map(ExtensionInfo::name)
                .filter(n -> !SUPERVISED.contains(n))
                .toList();
    }

    /** Every argument of any alignment method, each once (the first method that describes it wins). */
    static List<ArgumentSpec> alignmentArguments(ExtensionRegistry registry) {
        List<ArgumentSpec> all = new ArrayList<>();
        for (String method : alignmentMethods(registry)) {
            all.addAll(arguments(registry, method));
        }
        return distinct(all);
    }

    /** The arguments in order, each name once: the first description of a name wins. */
    static List<ArgumentSpec> distinct(List<ArgumentSpec> arguments) {
        Set<String> seen = new HashSet<>();
        return arguments.stream().filter(a -> seen.add(a.name())).toList();
    }

    /**
     * The method's check of a job's arguments, before any work.
     *
     * @throws IllegalArgumentException naming the option at fault, or the missing method and the installed ones
     */
    static void validate(ExtensionRegistry registry, String method, Arguments arguments) {
        try (ExtensionHandle<TrainingMethod> handle = registry.require(TrainingMethod.class, method)) {
            handle.get().validate(arguments);
        }
    }

    /** The value given for {@code name}, else its described default, else {@code fallback}. */
    static String value(Arguments given, List<ArgumentSpec> arguments, String name, String fallback) {
        return given.getString(name)
                .orElseGet(() -> arguments.stream()
                        .filter(a -> a.name().equals(name))
                        .findFirst()
                        .flatMap(a -> a.defaultValue().stream().findFirst())
                        .orElse(fallback));
    }
}
