package dev.osprey.backend.remote.impl;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.inference.InferenceBackend;

/** The {@code sglang} inference backend; see {@link OpenAiCompatibleBackend}. */
@Component(service = InferenceBackend.class)
public class SglangBackend extends OpenAiCompatibleBackend {

    public SglangBackend() {
        super(ServerKind.SGLANG);
    }
}
