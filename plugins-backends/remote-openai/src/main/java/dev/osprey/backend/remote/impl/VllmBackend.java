package dev.osprey.backend.remote.impl;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.inference.InferenceBackend;

/** The {@code vllm} inference backend; see {@link OpenAiCompatibleBackend}. */
@Component(service = InferenceBackend.class)
public class VllmBackend extends OpenAiCompatibleBackend {

    public VllmBackend() {
        super(ServerKind.VLLM);
    }
}
