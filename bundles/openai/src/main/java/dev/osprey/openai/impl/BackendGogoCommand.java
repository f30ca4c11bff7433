package dev.osprey.openai.impl;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code osprey:backend} in the Gogo shell of a running server: {@code backend} prints the backend
 * serving now, {@code backend use NAME} swaps to another without failing requests in flight.
 */
@Component(
        service = BackendGogoCommand.class,
        property = {"osgi.command.scope=osprey", "osgi.command.function=backend"})
public class BackendGogoCommand {

    @Reference
    ServingComponent server;

    public String backend() {
        String current = server.currentBackend();
        return current.isEmpty() ? "no backend session is open" : "serving on backend '" + current + "'";
    }

    public String backend(String verb, String name) throws Exception {
        if (!"use".equals(verb)) {
            throw new IllegalArgumentException("usage: backend [use NAME]");
        }
        server.use(name);
        return "serving on backend '" + name + "'";
    }
}
