package dev.osprey.models.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.osprey.api.Extension;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;

/**
 * The extensions of a test, listed by hand (in the framework the kernel's registry tracks services); counts the
 * handles still open, so a test sees that a closed model gave its handles back.
 */
public final class ListedExtensions implements ExtensionRegistry {

    private final List<Extension> extensions;
    private int open;

    public ListedExtensions(Extension... extensions) {
        this.extensions = List.of(extensions);
    }

    /** Handles acquired and not yet closed. */
    public synchronized int openHandles() {
        return open;
    }

    private static ExtensionKind kindOf(Extension e) {
        for (ExtensionKind kind : ExtensionKind.values()) {
            if (kind.type().isInstance(e)) {
                return kind;
            }
        }
        throw new IllegalArgumentException(e + " is of no extension kind");
    }

    private static ExtensionInfo info(Extension e) {
        return new ExtensionInfo(kindOf(e), e.name(), e.description(), "test", "0", 0);
    }

    @Override
    public List<ExtensionInfo> list(ExtensionKind kind) {
        return extensions.stream()
                .filter(e -> kind.type().isInstance(e))
                .map(ListedExtensions::info)
                .toList();
    }

    @Override
    public List<ExtensionInfo> all() {
        return extensions.stream().map(ListedExtensions::info).toList();
    }

    @Override
    public <T extends Extension> Optional<ExtensionHandle<T>> acquire(Class<T> type, String name) {
        return extensions.stream()
                .filter(e -> type.isInstance(e) && e.name().equals(name))
                .findFirst()
                .map(e -> handle(type.cast(e)));
    }

    @Override
    public <T extends Extension> ExtensionHandle<T> require(Class<T> type, String name) {
        List<String> installed = new ArrayList<>();
        extensions.stream().filter(type::isInstance).forEach(e -> installed.add(e.name()));
        return acquire(type, name)
                .orElseThrow(() -> new IllegalArgumentException(
                        "no " + type.getSimpleName() + " named '" + name + "'; installed: " + installed));
    }

    private synchronized <T extends Extension> ExtensionHandle<T> handle(T extension) {
        open++;
        return new ExtensionHandle<>() {
            private boolean closed;

            @Override
            public T get() {
                return extension;
            }

            @Override
            public ExtensionInfo info() {
                return ListedExtensions.info(extension);
            }

            @Override
            public boolean isAvailable() {
                return true;
            }

            @Override
            public void close() {
                synchronized (ListedExtensions.this) {
                    if (!closed) {
                        closed = true;
                        open--;
                    }
                }
            }
        };
    }
}
