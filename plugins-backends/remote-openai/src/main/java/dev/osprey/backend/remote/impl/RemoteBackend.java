package dev.osprey.backend.remote.impl;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.inference.InferenceBackend;

/** The {@code remote} inference backend; see {@link OpenAiCompatibleBackend}. */
@Component(service = InferenceBackend.class)
public class RemoteBackend extends OpenAiCompatibleBackend {

    public RemoteBackend() {
        super(ServerKind.REMOTE);
    }
}
