package dev.osprey.cli.impl;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.api.plugin.ExtensionHandle;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey infer}: chat with a model in the terminal, answers streamed as they are generated
 * ({@code /clear} forgets the conversation, {@code /exit} quits, a line ending in {@code \} continues on
 * the next), or answer every row of {@code --val_dataset} into {@code --result_path} (JSON lines, as
 * ms-swift writes them) with a progress bar.
 */
@Command(
        name = "infer",
        mixinStandardHelpOptions = true,
        description =
                "Chat with a model in the terminal, or answer a dataset into a JSONL file (--val_dataset, --result_path).")
public class InferCommand extends PlatformCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ServingOptions serving;

    @Option(names = "--system", paramLabel = "TEXT", description = "a system message")
    String system;

    @Option(names = "--max_new_tokens", paramLabel = "N", defaultValue = "512")
    int maxNewTokens;

    @Option(
            names = "--temperature",
            paramLabel = "T",
            defaultValue = "0",
            description = "0 for greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top_k", paramLabel = "K", defaultValue = "-1")
    int topK;

    @Option(names = "--top_p", paramLabel = "P", defaultValue = "1")
    double topP;

    @Option(names = "--repetition_penalty", paramLabel = "R", defaultValue = "1")
    double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42")
    long seed;

    @Option(names = "--stop_words", paramLabel = "TEXT", arity = "1..*")
    List<String> stop = new ArrayList<>();

    @Option(names = "--val_dataset", paramLabel = "FILE", description = "answer every row of this dataset (batch mode)")
    Path valDataset;

    @Option(
            names = "--result_path",
            paramLabel = "FILE",
            description = "where batch answers go (default: infer_result.jsonl)")
    Path resultPath;

    @Option(
            names = "--images",
            paramLabel = "FILE",
            arity = "1..*",
            description = "images for the first question, in place of its <image> tags (else before its text)")
    List<Path> images = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Map<String, String> named = serving.namedAdapters();
        Map<String, String> s = new LinkedHashMap<>(serving.settings);
        if (!images.isEmpty() && !s.containsKey("allowed_local_media_path")) {
            // the images given here may be read, and only they: their folders
            s.put(
                    "allowed_local_media_path",
                    String.join(
                            ",",
                            images.stream()
                                    .map(i -> i.toAbsolutePath()
                                            .normalize()
                                            .getParent()
                                            .toString())
                                    .distinct()
                                    .toList()));
        }
        if (serving.maxModelLen != null) {
            s.put("max_model_len", serving.maxModelLen.toString());
        }
        BackendOptions options = new BackendOptions(serving.model, "", named, serving.device.device, s);
        platform.settledPlugins(10_000); // backends hot-deployed from plugins/ are there too
        ExtensionHandle<InferenceBackend> handle = serving.requireBackend(platform.extensions);
        try (handle;
                InferenceSession session = handle.get().open(options)) {
            String served = named.isEmpty()
                    ? options.servedName()
                    : named.keySet().iterator().next();
            return valDataset != null ? batch(session, served) : chat(session, served);
        }
    }

    private SamplingParams sampling() {
        return new SamplingParams(
                maxNewTokens, temperature, topP, topK, 0, repetitionPenalty, 0, 0, seed, stop, List.of(), false, 0);
    }

    /** Generates one answer, calling {@code onText} with each piece; returns the whole text. */
    private String answer(InferenceSession session, String served, List<ChatMessage> messages, Consumer<String> onText)
            throws Exception {
        CompletableFuture<String> done = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        session.generate(
                new GenerationRequest(
                        UUID.randomUUID().toString(), served, Conversation.of(messages), null, null, sampling()),
                new GenerationListener() {
                    @Override
                    public void chunk(TokenChunk chunk) {
                        text.append(chunk.text());
                        onText.accept(chunk.text());
                    }

                    @Override
                    public void completed(String finishReason, int promptTokens, int completionTokens) {
                        done.complete(text.toString());
                    }

                    @Override
                    public void failed(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        try {
            return done.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    /**
     * A question with images, as ms-swift places them: each {@code <image>} tag of the text takes the next image; without
     * tags, the images go before the text.
     */
    static ChatMessage userMessage(String query, List<Path> images) {
        if (images.isEmpty()) {
            return ChatMessage.of("user", query);
        }
        List<ContentPart> parts = new ArrayList<>();
        String[] pieces = query.split("<image>", -1);
        int tags = pieces.length - 1;
        if (tags != 0 && tags != images.size()) {
            throw new IllegalArgumentException(
                    "the question has " + tags + " <image> tags but --images gives " + images.size() + " image(s)");
        }
        for (int i = 0; tags == 0 && i < images.size(); i++) {
            parts.add(
                    ContentPart.image(images.get(i).toAbsolutePath().normalize().toString()));
        }
        for (int i = 0; i < pieces.length; i++) {
            if (!pieces[i].isEmpty()) {
                parts.add(ContentPart.text(pieces[i]));
            }
            if (i < tags) {
                parts.add(ContentPart.image(
                        images.get(i).toAbsolutePath().normalize().toString()));
            }
        }
        return new ChatMessage("user", parts, List.of(), "", "");
    }

    private int chat(InferenceSession session, String served) throws Exception {
        PrintWriter out = out();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<ChatMessage> history = new ArrayList<>();
        out.println("Chat with " + served
                + ". /clear forgets the conversation, /exit quits; end a line with \\ to go on writing.");
        while (true) {
            out.print("<<< ");
            out.flush();
            StringBuilder input = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null && line.endsWith("\\")) {
                input.append(line, 0, line.length() - 1).append('\n');
            }
            if (line == null && input.isEmpty()) {
                return 0; // end of input
            }
            input.append(line == null ? "" : line);
            String query = input.toString();
            if (query.isBlank()) {
                continue;
            }
            if (query.trim().equals("/exit") || query.trim().equals("/quit")) {
                return 0;
            }
            if (query.trim().equals("/clear")) {
                history.clear();
                out.println("(conversation cleared)");
                continue;
            }
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatMessage.of("system", system));
            }
            messages.addAll(history);
            ChatMessage asked = history.isEmpty() ? userMessage(query, images) : ChatMessage.of("user", query);
            messages.add(asked);
            try {
                String reply = answer(session, served, messages, piece -> {
                    out.print(piece);
                    out.flush();
                });
                out.println();
                history.add(asked);
                history.add(ChatMessage.of("assistant", reply));
            } catch (IllegalArgumentException e) {
                out.println();
                out.println("error: " + e.getMessage()); // e.g. beyond the context: /clear and go on
            }
            if (line == null) {
                return 0;
            }
        }
    }

    private int batch(InferenceSession session, String served) throws Exception {
        List<Conversation> rows = platform.requireDatasets().conversations(valDataset);
        Path target = resultPath != null ? resultPath : Path.of("infer_result.jsonl");
        if (target.getParent() != null) {
            Files.createDirectories(target.getParent());
        }
        PrintWriter out = out();
        try (BufferedWriter writer = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows.size(); i++) {
                List<ChatMessage> conversation = rows.get(i).messages();
                int answer = conversation.size();
                while (answer > 0 && conversation.get(answer - 1).role().equals("assistant")) {
                    answer--; // the trailing assistant messages are the labels; the rest is the prompt
                }
                List<ChatMessage> prompt = new ArrayList<>(conversation.subList(0, answer));
                List<ChatMessage> labels = conversation.subList(answer, conversation.size());
                if (system != null && (prompt.isEmpty() || !prompt.get(0).role().equals("system"))) {
                    prompt.add(0, ChatMessage.of("system", system));
                }
                String response = answer(session, served, prompt, piece -> {});
                ObjectNode result = JSON.createObjectNode();
                ArrayNode messages = result.putArray("messages");
                for (ChatMessage m : prompt) {
                    messages.addObject().put("role", m.role()).put("content", m.text());
                }
                result.put("response", response);
                if (!labels.isEmpty()) {
                    result.put("labels", labels.get(labels.size() - 1).text());
                } else {
                    result.putNull("labels");
                }
                writer.write(JSON.writeValueAsString(result));
                writer.newLine();
                writer.flush();
                out.print(progress(i + 1, rows.size()));
                out.flush();
            }
        }
        out.println();
        out.println("wrote " + rows.size() + " answers to " + target);
        return 0;
    }

    /** {@code \r[#####     ] 5/10}: redrawn in place. */
    static String progress(int done, int total) {
        int width = 30;
        int filled = total == 0 ? width : done * width / total;
        return "\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total;
    }
}
