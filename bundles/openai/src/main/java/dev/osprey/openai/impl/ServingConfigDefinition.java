package dev.osprey.openai.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The server's own keys of configuration {@value ServingConfig#PID}, described for configuration tools
 * (metatype); {@link ServingConfig} reads them, and passes every other plain key to the backend as a
 * setting. Method names spell the keys the metatype way: {@code __} is one underscore.
 */
@ObjectClassDefinition(
        id = ServingConfig.PID,
        name = "Osprey OpenAI-compatible server",
        description =
                "What the OpenAI-compatible server serves, who may call it and the limits of a request; other keys"
                        + " without a dot are backend settings (max_num_seqs, max_model_len, base_url, ...)")
@interface ServingConfigDefinition {

    @AttributeDefinition(description = "a model id or folder")
    String model();

    @AttributeDefinition(description = "djl, vllm, sglang, lmdeploy or remote (alias: backend)")
    String infer__backend() default "djl";

    @AttributeDefinition(description = "the model's name in requests (default: model)", required = false)
    String served__model__name();

    @AttributeDefinition(description = "LoRA adapters to serve from the start, each name=folder", required = false)
    String[] adapters();

    @AttributeDefinition(description = "cpu, cuda:N, ...")
    String device() default "cpu";

    @AttributeDefinition(
            description = "the address the HTTP server binds, for the warning about a server open without a key")
    String host() default "127.0.0.1";

    @AttributeDefinition(
            description = "the API key; else api_key_file, else the environment's OSPREY_API_KEY or VLLM_API_KEY",
            required = false)
    String api__key();

    @AttributeDefinition(description = "a file holding the API key alone on one line", required = false)
    String api__key__file();

    @AttributeDefinition(description = "the key of the admin routes, which it also turns on", required = false)
    String admin__api__key();

    @AttributeDefinition(description = "answer the admin routes (adapter load and unload, backend swap)")
    boolean enable__admin() default false;

    @AttributeDefinition(description = "/metrics needs the API key too")
    boolean protect__metrics() default false;

    @AttributeDefinition(
            description = "folders adapters may be loaded from at runtime (default: the folders of the adapters)",
            required = false)
    String[] adapter__roots();

    @AttributeDefinition(description = "adapters served at once at most")
    int max__loras() default AdapterFolders.DEFAULT_MAX_LORAS;

    @AttributeDefinition(description = "the largest request body in bytes (413 past it)")
    long max__request__bytes() default ServerLimits.DEFAULT_MAX_REQUEST_BYTES;

    @AttributeDefinition(description = "how deep JSON may nest")
    int max__json__depth() default ServerLimits.DEFAULT_MAX_JSON_DEPTH;

    @AttributeDefinition(description = "the longest JSON string, in characters")
    int max__json__string__length() default ServerLimits.DEFAULT_MAX_JSON_STRING_LENGTH;

    @AttributeDefinition(description = "the most digits of a JSON number")
    int max__json__number__length() default ServerLimits.DEFAULT_MAX_JSON_NUMBER_LENGTH;

    @AttributeDefinition(description = "seconds a request body may send nothing (408 past it)")
    double read__timeout() default ServerLimits.DEFAULT_READ_TIMEOUT_SECONDS;

    @AttributeDefinition(description = "prompts x n of one request at most (400 past it)")
    int max__sequences__per__request() default ServerLimits.DEFAULT_MAX_SEQUENCES_PER_REQUEST;

    @AttributeDefinition(description = "prompt + max_tokens of all requests in flight at most (429 past it)")
    long max__queued__tokens() default ServerLimits.DEFAULT_MAX_QUEUED_TOKENS;

    @AttributeDefinition(
            description = "milliseconds between checks that the client of a whole answer is still there; 0: never")
    long disconnect__check__ms() default ServerLimits.DEFAULT_DISCONNECT_CHECK_MS;
}
