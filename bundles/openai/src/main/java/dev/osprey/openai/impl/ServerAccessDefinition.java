package dev.osprey.openai.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The keys of configuration {@value ServerAccessComponent#PID}, described for configuration tools (metatype);
 * {@link ServerAccessComponent} reads them. Method names spell the keys the metatype way: {@code __} is one
 * underscore.
 */
@ObjectClassDefinition(
        id = ServerAccessComponent.PID,
        name = "Osprey server access",
        description = "The API key of osprey serve: every route but the health checks and the web UI's pages needs it")
@interface ServerAccessDefinition {

    @AttributeDefinition(
            description = "the API key; else api_key_file, else the environment's OSPREY_API_KEY or VLLM_API_KEY",
            required = false)
    String api__key();

    @AttributeDefinition(description = "a file holding the API key alone on one line", required = false)
    String api__key__file();

    @AttributeDefinition(
            description = "the address the HTTP server binds, for the warning about a server open without a key")
    String host() default "127.0.0.1";
}
