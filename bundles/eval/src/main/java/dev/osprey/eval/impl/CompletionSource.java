package dev.osprey.eval.impl;

import java.io.IOException;
import java.util.List;

/** Where a generation benchmark's completions come from: a model loaded here, or an OpenAI-compatible server. */
interface CompletionSource extends AutoCloseable {

    /** The completion of each prompt, in order, each cut before the first stop string it reached. */
    List<String> complete(List<String> prompts) throws IOException, InterruptedException;

    /** The tokens generated so far, where the source knows them (0 otherwise). */
    default long tokensGenerated() {
        return 0;
    }

    @Override
    void close();
}
