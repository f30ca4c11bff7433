package dev.osprey.backend.remote.impl;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.inference.InferenceBackend;

/** The {@code lmdeploy} inference backend; see {@link OpenAiCompatibleBackend}. */
@Component(service = InferenceBackend.class)
public class LmdeployBackend extends OpenAiCompatibleBackend {

    public LmdeployBackend() {
        super(ServerKind.LMDEPLOY);
    }
}
