package dev.osprey.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.GenerationHandle;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.SessionStats;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * The DJL backend's session on a real tiny Llama checkpoint, checked against the model core's
 * {@link Generator} running each prompt alone: continuous batching must not change a single token.
 */
class DjlSessionTest {

    static final int VOCAB = 96;
    static final int CONTEXT = 64;

    @TempDir
    static Path dir;

    static Path modelDir;
    static Path adapterDir;
    static NDManager referenceManager;
    static HfModel reference;

    @BeforeAll
    static void checkpoint() throws Exception {
        modelDir = TinyCheckpoint.model(dir.resolve("model"), VOCAB, 64, 2, 4, 2, 128, CONTEXT);
        adapterDir = TinyCheckpoint.adapter(modelDir, dir.resolve("adapter"), 4, 7);
        referenceManager = NDManager.newBaseManager();
        reference = ModelLoader.load(modelDir, c -> new LlamaArchitecture(), referenceManager, DataType.FLOAT32);
        PeftAdapter.attach(adapterDir, ((DecoderModel) reference.model()).linears(), "sql", referenceManager);
    }

    @AfterAll
    static void free() {
        reference.close();
        referenceManager.close();
    }

    static DjlSession open(Map<String, String> settings, Map<String, String> adapters) throws Exception {
        return DjlSession.open(
                modelDir,
                c -> new LlamaArchitecture(),
                NDManager.newBaseManager(),
                new BackendOptions("tiny", "tiny", adapters, "cpu", settings),
                List.of());
    }

    /** What the model core generates greedily for this prompt alone. */
    static int[] alone(int[] prompt, int maxTokens, String adapter) {
        return Generator.generate(
                        reference.model(),
                        List.of(prompt),
                        GenerationOptions.greedy(maxTokens, Set.of(TinyCheckpoint.EOS)),
                        adapter,
                        null,
                        null)
                .get(0)
                .tokens();
    }

    /** Prompts whose greedy continuation runs the full length (no early EOS), so batches overlap for long. */
    static List<int[]> prompts(int count, int maxTokens, long seed) {
        Random random = new Random(seed);
        List<int[]> prompts = new ArrayList<>();
        while (prompts.size() < count) {
            int[] p = random.ints(3 + random.nextInt(12), 8, VOCAB).toArray();
            if (alone(p, maxTokens, null).length == maxTokens) {
                prompts.add(p);
            }
        }
        return prompts;
    }

    static GenerationRequest ids(String id, int[] prompt, SamplingParams sampling) {
        return ids(id, "tiny", prompt, sampling);
    }

    static GenerationRequest ids(String id, String model, int[] prompt, SamplingParams sampling) {
        return new GenerationRequest(
                id, model, null, null, Arrays.stream(prompt).boxed().toList(), sampling);
    }

    static Collector collector(int chunksToSee) {
        Collector c = new Collector();
        c.chunkSeen = new CountDownLatch(chunksToSee);
        return c;
    }

    static void awaitChunks(Collector c) throws InterruptedException {
        assertTrue(c.chunkSeen.await(60, TimeUnit.SECONDS), "chunks did not arrive");
    }

    @Test
    void greedyRequestsJoiningAtDifferentTimesEqualEachPromptAlone() throws Exception {
        List<int[]> prompts = prompts(4, 20, 1);
        try (DjlSession session = open(Map.of("max_num_seqs", "4"), Map.of())) {
            Collector[] c = {collector(3), collector(2), collector(1), collector(1)};
            session.generate(ids("a", prompts.get(0), SamplingParams.greedy(20)), c[0]);
            awaitChunks(c[0]);
            session.generate(ids("b", prompts.get(1), SamplingParams.greedy(20)), c[1]);
            awaitChunks(c[1]);
            int maxRunning = session.stats().orElseThrow().running();
            session.generate(ids("c", prompts.get(2), SamplingParams.greedy(20)), c[2]);
            session.generate(ids("d", prompts.get(3), SamplingParams.greedy(20)), c[3]);
            for (int i = 0; i < 4; i++) {
                c[i].await();
                maxRunning = Math.max(maxRunning, session.stats().orElseThrow().running());
                assertArrayEquals(alone(prompts.get(i), 20, null), c[i].tokens(), "request " + i);
                assertEquals("length", c[i].finishReason);
                assertEquals(prompts.get(i).length, c[i].started);
                assertEquals(prompts.get(i).length, c[i].promptTokens);
                assertEquals(20, c[i].completionTokens);
            }
            assertTrue(maxRunning >= 2, "requests were never decoded together");
            SessionStats after = session.stats().orElseThrow();
            assertEquals(0, after.running());
            assertEquals(0, after.cachedTokens());
        }
    }

    @Test
    void aLongPromptIsReadInChunksBetweenTheRunningStreamsStepsAndGivesTheSameTokens() throws Exception {
        int[] longPrompt = new Random(5).ints(40, 8, VOCAB).toArray();
        int[] expected = alone(longPrompt, 6, null);
        int[] runningPrompt = prompts(1, 24, 4).get(0);
        for (boolean chunked : new boolean[] {true, false}) {
            Map<String, String> settings =
                    Map.of("max_num_batched_tokens", "4", "enable_chunked_prefill", String.valueOf(chunked));
            try (DjlSession session = open(settings, Map.of())) {
                Collector running = collector(2);
                session.generate(ids("running", runningPrompt, SamplingParams.greedy(24)), running);
                awaitChunks(running);
                int[] stepsWhileReading = new int[1];
                Collector joining = new Collector() {
                    @Override
                    public synchronized void started(int promptTokens) {
                        synchronized (running) { // listeners run on the scheduler thread, between its steps
                            stepsWhileReading[0] += running.chunks.size();
                        }
                        super.started(promptTokens);
                    }
                };
                synchronized (running) {
                    stepsWhileReading[0] = -running.chunks.size();
                }
                session.generate(ids("joining", longPrompt, SamplingParams.greedy(6)), joining);
                joining.await();
                running.await();
                assertArrayEquals(expected, joining.tokens(), "chunked prefill " + chunked + " changed the tokens");
                assertArrayEquals(alone(runningPrompt, 24, null), running.tokens());
                // 40 prompt tokens, 4 per iteration: the running stream steps 9 times before the last chunk
                if (chunked) {
                    assertTrue(stepsWhileReading[0] >= 9, "steps while reading: " + stepsWhileReading[0]);
                } else {
                    assertTrue(stepsWhileReading[0] <= 2, "steps while reading: " + stepsWhileReading[0]);
                }
                assertTrue(eventually(() -> session.stats().orElseThrow().running() == 0), "stats: " + session.stats());
            }
        }
    }

    @Test
    void cancellingFreesTheSequenceForTheNextRequest() throws Exception {
        List<int[]> prompts = prompts(2, 8, 2);
        try (DjlSession session = open(Map.of("max_num_seqs", "1"), Map.of())) {
            Pausing first = new Pausing(2);
            GenerationHandle handle =
                    session.generate(ids("long", prompts.get(0), SamplingParams.greedy(CONTEXT - 20)), first);
            Collector second = new Collector();
            session.generate(ids("next", prompts.get(1), SamplingParams.greedy(8)), second);
            first.awaitPause();
            handle.cancel(); // while the scheduler is inside the listener, so the sequence is surely still running
            first.resume();
            first.await();
            assertEquals("cancelled", first.finishReason);
            assertTrue(first.completionTokens < CONTEXT - 20);
            assertTrue(handle.isDone());
            second.await(); // only one sequence fits: it runs because the cancelled one left
            assertArrayEquals(alone(prompts.get(1), 8, null), second.tokens());
            assertTrue(
                    eventually(() -> session.stats().orElseThrow().equals(new SessionStats(0, 0, 0, CONTEXT))),
                    "stats: " + session.stats());
        }
    }

    @Test
    void requestsBeyondMaxNumSeqsWaitAndAllComplete() throws Exception {
        List<int[]> prompts = prompts(5, 10, 3);
        try (DjlSession session = open(Map.of("max_num_seqs", "2"), Map.of())) {
            List<Collector> collectors = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Collector c = new Collector();
                collectors.add(c);
                session.generate(ids("r" + i, prompts.get(i), SamplingParams.greedy(10)), c);
            }
            int maxRunning = 0;
            int maxWaiting = 0;
            while (collectors.get(4).done.getCount() > 0) {
                SessionStats s = session.stats().orElseThrow();
                maxRunning = Math.max(maxRunning, s.running());
                maxWaiting = Math.max(maxWaiting, s.waiting());
                Thread.sleep(1);
            }
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(
                        alone(prompts.get(i), 10, null),
                        collectors.get(i).await().tokens(),
                        "request " + i);
            }
            assertTrue(maxRunning <= 2, "ran " + maxRunning + " at once");
            assertTrue(maxWaiting >= 1, "no request ever waited");
        }
    }

    @Test
    void theCachedTokenLimitKeepsRequestsWaitingAndRefusesOnesThatCanNeverFit() throws Exception {
        Random random = new Random(14);
        List<int[]> prompts = List.of(
                random.ints(10, 8, VOCAB).toArray(),
                random.ints(10, 8, VOCAB).toArray(),
                random.ints(10, 8, VOCAB).toArray());
        try (DjlSession session = open(Map.of("max_cached_tokens", "40", "max_model_len", "48"), Map.of())) {
            assertEquals(48, session.models().get(0).maxModelLength());
            assertEquals(40, session.stats().orElseThrow().maxCachedTokens());
            List<Collector> collectors = new ArrayList<>();
            for (int[] p : prompts) { // each reserves its prompt + 16 = 26 tokens: one at a time fits in 40
                Collector c = new Collector();
                collectors.add(c);
                session.generate(ids("c", p, SamplingParams.greedy(16)), c);
            }
            int maxRunning = 0;
            while (collectors.get(2).done.getCount() > 0) {
                SessionStats stats = session.stats().orElseThrow();
                maxRunning = Math.max(maxRunning, stats.running());
                assertTrue(stats.cachedTokens() <= 40, "cached " + stats.cachedTokens());
                Thread.sleep(1);
            }
            assertEquals(1, maxRunning);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(
                        alone(prompts.get(i), 16, null),
                        collectors.get(i).await().tokens());
            }
            Collector tooBig = new Collector();
            session.generate(ids("big", prompts.get(0), SamplingParams.greedy(36)), tooBig);
            assertEquals(
                    "max_tokens",
                    assertInstanceOf(InvalidRequestException.class, tooBig.await().error)
                            .param());
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> open(Map.of("max_num_seqs", "many"), Map.of()));
        assertTrue(e.getMessage().contains("max_num_seqs"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> open(Map.of("max_model_len", "4096"), Map.of()));
        assertTrue(e.getMessage().contains("max_position_embeddings"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> open(Map.of("torch_dtype", "int3"), Map.of()));
        assertTrue(e.getMessage().contains("torch_dtype"), e.getMessage());
    }

    @Test
    void anAdapterRequestUsesItsAdapterAlongsideTheBase() throws Exception {
        int[] prompt = prompts(1, 12, 4).get(0);
        try (DjlSession session = open(Map.of(), Map.of("sql", adapterDir.toString()))) {
            assertEquals(
                    List.of("tiny", "sql"),
                    session.models().stream().map(m -> m.id()).toList());
            assertEquals("tiny", session.models().get(1).parent());
            Collector base = new Collector();
            Collector lora = new Collector();
            session.generate(ids("base", prompt, SamplingParams.greedy(12)), base);
            session.generate(ids("lora", "sql", prompt, SamplingParams.greedy(12)), lora);
            int[] expected = alone(prompt, 12, "sql");
            assertArrayEquals(expected, lora.await().tokens());
            assertArrayEquals(alone(prompt, 12, null), base.await().tokens());
            assertFalse(Arrays.equals(base.tokens(), lora.tokens()), "the adapter changed nothing");
        }
    }

    @Test
    void adaptersLoadAndUnloadAtRuntimeAfterTheirRequestsFinish() throws Exception {
        int[] prompt = prompts(1, 30, 5).get(0);
        try (DjlSession session = open(Map.of(), Map.of())) {
            session.loadAdapter("late", adapterDir.toString());
            assertEquals(
                    List.of("tiny", "late"),
                    session.models().stream().map(m -> m.id()).toList());
            Pausing running = new Pausing(2);
            session.generate(ids("x", "late", prompt, SamplingParams.greedy(30)), running);
            running.awaitPause();
            CountDownLatch unloaded = new CountDownLatch(1);
            Thread unloader = new Thread(() -> {
                session.unloadAdapter("late"); // waits for "x"
                unloaded.countDown();
            });
            unloader.start();
            assertFalse(
                    unloaded.await(300, TimeUnit.MILLISECONDS),
                    "unload did not wait for the request using the adapter");
            running.resume();
            assertTrue(unloaded.await(30, TimeUnit.SECONDS));
            assertTrue(running.done.getCount() == 0, "unload returned before the request using the adapter finished");
            assertArrayEquals(alone(prompt, 30, "sql"), running.await().tokens());
            Collector refused = new Collector();
            session.generate(ids("y", "late", prompt, SamplingParams.greedy(3)), refused);
            assertEquals(
                    "model",
                    assertInstanceOf(InvalidRequestException.class, refused.await().error)
                            .param());
            assertEquals(
                    List.of("tiny"), session.models().stream().map(m -> m.id()).toList());
        }
    }

    @Test
    void logprobsAreTheLogSoftmaxOfTheModelsLogits() throws Exception {
        int[] prompt = prompts(1, 5, 6).get(0);
        SamplingParams sampling = new SamplingParams(5, 0, 1, -1, 0, 1, 0, 0, -1, List.of(), List.of(), true, 3);
        try (DjlSession session = open(Map.of(), Map.of())) {
            Collector c = new Collector();
            session.generate(ids("lp", prompt, sampling), c);
            c.await();
            int[] tokens = c.tokens();
            for (int t = 0; t < tokens.length; t++) {
                int[] context = Arrays.copyOf(prompt, prompt.length + t);
                System.arraycopy(tokens, 0, context, prompt.length, t);
                float[] expected;
                try (NDManager m = referenceManager.newSubManager()) {
                    NDArray input =
                            m.create(Arrays.stream(context).asLongStream().toArray(), new Shape(1, context.length));
                    NDArray logits = reference
                            .model()
                            .forward(ForwardRequest.builder(input)
                                    .optLastPositionOnly(true)
                                    .build())
                            .logits();
                    expected = logits.logSoftmax(-1).toFloatArray(); // (1, 1, V)
                    logits.close();
                }
                TokenChunk chunk = c.chunks.get(t);
                assertEquals(expected[tokens[t]], chunk.logprobs().get(0), 1e-4, "token " + t);
                Integer[] order = new Integer[VOCAB];
                Arrays.setAll(order, i -> i);
                Arrays.sort(order, (a, b) -> Float.compare(expected[b], expected[a]));
                Map<String, Double> top = chunk.topLogprobs().get(0);
                assertEquals(3, top.size());
                List<String> words = TinyCheckpoint.words(VOCAB);
                for (int k = 0; k < 3; k++) {
                    Double value = top.get(words.get(order[k]));
                    assertNotNull(value, "top " + k + " " + words.get(order[k]) + " missing from " + top);
                    assertEquals(expected[order[k]], value, 1e-4);
                }
            }
        }
    }

    @Test
    void promptsBeyondTheContextFailSynchronouslyNamingTheField() throws Exception {
        try (DjlSession session = open(Map.of(), Map.of())) {
            int[] full = new Random(1).ints(CONTEXT, 8, VOCAB).toArray();
            Collector tooLong = new Collector();
            session.generate(ids("long", full, SamplingParams.greedy(1)), tooLong);
            assertEquals(0, tooLong.done.getCount(), "not reported before generate returned");
            assertEquals(
                    "prompt",
                    assertInstanceOf(InvalidRequestException.class, tooLong.error)
                            .param());

            Collector withCompletion = new Collector();
            session.generate(ids("sum", Arrays.copyOf(full, 40), SamplingParams.greedy(30)), withCompletion);
            InvalidRequestException e = assertInstanceOf(InvalidRequestException.class, withCompletion.error);
            assertTrue(e.getMessage().contains("70 tokens (40 in the prompt, 30 in the completion)"), e.getMessage());

            String words = String.join(" ", TinyCheckpoint.words(VOCAB).subList(8, 8 + CONTEXT));
            Collector chat = new Collector();
            session.generate(
                    new GenerationRequest(
                            "chat",
                            "tiny",
                            Conversation.of(List.of(ChatMessage.of("user", words))),
                            null,
                            null,
                            SamplingParams.greedy(4)),
                    chat);
            assertEquals(
                    "messages",
                    assertInstanceOf(InvalidRequestException.class, chat.error).param());

            Collector unknown = new Collector();
            session.generate(ids("u", "nope", Arrays.copyOf(full, 4), SamplingParams.greedy(2)), unknown);
            assertEquals(
                    "model",
                    assertInstanceOf(InvalidRequestException.class, unknown.error)
                            .param());

            Collector badTopP = new Collector();
            session.generate(
                    ids(
                            "p",
                            Arrays.copyOf(full, 4),
                            new SamplingParams(4, 1, 1.5, -1, 0, 1, 0, 0, -1, List.of(), List.of(), false, 0)),
                    badTopP);
            assertEquals(
                    "top_p",
                    assertInstanceOf(InvalidRequestException.class, badTopP.error)
                            .param());
            assertTrue(session.healthy());
        }
    }

    @Test
    void chatTextStreamsAndStopStringsCutExactly() throws Exception {
        try (DjlSession session = open(Map.of(), Map.of())) {
            Conversation conversation = Conversation.of(List.of(ChatMessage.of("user", "w10 w11 w12")));
            List<Integer> promptIds = session.tokenize("tiny", null, conversation);
            assertEquals(
                    "<|im_start|> user w10 w11 w12 <|im_end|> <|im_start|> assistant",
                    session.detokenize("tiny", promptIds));
            Collector free = new Collector();
            session.generate(
                    new GenerationRequest("free", "tiny", conversation, null, null, SamplingParams.greedy(12)), free);
            free.await();
            assertEquals(promptIds.size(), free.promptTokens);
            int[] expected =
                    alone(promptIds.stream().mapToInt(Integer::intValue).toArray(), 12, null);
            assertArrayEquals(expected, free.tokens());
            String text = free.text();
            assertEquals(
                    reference
                            .tokenizer()
                            .decode(Arrays.stream(expected).asLongStream().toArray(), true),
                    text.trim());
            // a stop string that starts inside the completion: the text ends right before it
            String[] words = text.trim().split(" ");
            String stop = words[words.length / 2];
            int cut = text.indexOf(stop);
            Collector stopped = new Collector();
            session.generate(
                    new GenerationRequest(
                            "stop",
                            "tiny",
                            conversation,
                            null,
                            null,
                            new SamplingParams(12, 0, 1, -1, 0, 1, 0, 0, -1, List.of(stop), List.of(), false, 0)),
                    stopped);
            stopped.await();
            assertEquals(text.substring(0, cut), stopped.text());
            assertEquals("stop", stopped.finishReason);
            assertTrue(stopped.completionTokens < 12 || !text.substring(cut).equals(stop));
        }
    }

    @Test
    void aListenerThatThrowsEndsOnlyItsOwnRequest() throws Exception {
        List<int[]> prompts = prompts(2, 10, 8);
        try (DjlSession session = open(Map.of(), Map.of())) {
            Collector faulty = new Collector() {
                @Override
                public synchronized void chunk(TokenChunk chunk) {
                    super.chunk(chunk);
                    if (chunks.size() == 2) {
                        throw new IllegalStateException("client went away");
                    }
                }
            };
            Collector fine = new Collector();
            session.generate(ids("faulty", prompts.get(0), SamplingParams.greedy(10)), faulty);
            session.generate(ids("fine", prompts.get(1), SamplingParams.greedy(10)), fine);
            assertEquals("client went away", faulty.await().error.getMessage());
            assertEquals(2, faulty.chunkCount());
            assertArrayEquals(alone(prompts.get(1), 10, null), fine.await().tokens());
            assertTrue(session.healthy());
        }
    }

    @Test
    void aStepThatFailsFailsItsRequestsAndTheSchedulerGoesOn() throws Exception {
        List<int[]> prompts = prompts(2, 12, 12);
        try (DjlSession session = open(Map.of(), Map.of("broken", adapterDir.toString()))) {
            Collector base = new Collector();
            Pausing broken = new Pausing(2);
            session.generate(ids("base", prompts.get(0), SamplingParams.greedy(12)), base);
            session.generate(ids("b", "broken", prompts.get(1), SamplingParams.greedy(12)), broken);
            broken.awaitPause();
            // a real fault while the adapter's sequence runs: one of its arrays is freed, so its next pass throws
            LoraMerge.linearsOf(session.model()).stream()
                    .filter(l -> l.adapter("broken") != null)
                    .findFirst()
                    .orElseThrow()
                    .adapter("broken")
                    .a()
                    .close();
            broken.resume();
            Throwable error = broken.await().error;
            assertNotNull(error, "the request on the broken adapter did not fail");
            assertTrue(error.getMessage().startsWith("a decode step of adapter broken failed"), error.getMessage());
            assertArrayEquals(alone(prompts.get(0), 12, null), base.await().tokens());
            Collector after = new Collector();
            session.generate(ids("after", prompts.get(1), SamplingParams.greedy(12)), after);
            assertArrayEquals(alone(prompts.get(1), 12, null), after.await().tokens());
            Collector prefillFails = new Collector();
            session.generate(ids("p", "broken", prompts.get(1), SamplingParams.greedy(4)), prefillFails);
            assertTrue(prefillFails.await().error.getMessage().startsWith("reading the prompt of request p failed"));
            assertTrue(session.healthy());
        }
    }

    @Test
    void servingManyRequestsLeavesNoArraysBehind() throws Exception {
        List<int[]> prompts = prompts(6, 16, 13);
        try (DjlSession session = open(Map.of("max_num_seqs", "3"), Map.of("sql", adapterDir.toString()))) {
            Runnable round = () -> {
                try {
                    List<Collector> all = new ArrayList<>();
                    for (int i = 0; i < prompts.size(); i++) {
                        Collector c = new Collector();
                        all.add(c);
                        GenerationHandle h = session.generate(
                                ids(
                                        "r" + i,
                                        i % 2 == 0 ? "tiny" : "sql",
                                        prompts.get(i),
                                        new SamplingParams(
                                                16,
                                                0,
                                                1,
                                                -1,
                                                0,
                                                1,
                                                0,
                                                0,
                                                -1,
                                                List.of(),
                                                List.of(),
                                                i % 3 == 0,
                                                i % 3 == 0 ? 2 : 0)),
                                c);
                        if (i == 4) {
                            h.cancel();
                        }
                    }
                    for (Collector c : all) {
                        c.await();
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            };
            round.run();
            assertTrue(eventually(() -> session.stats().orElseThrow().running() == 0));
            long baseline = arrays(session.manager());
            for (int r = 0; r < 3; r++) {
                round.run();
            }
            assertTrue(eventually(() -> session.stats().orElseThrow().running() == 0));
            assertEquals(baseline, arrays(session.manager()), "arrays left behind by requests");
        }
    }

    /** Open native resources under a manager and its sub-managers (DJL keeps them in a protected map). */
    static long arrays(NDManager manager) throws Exception {
        java.lang.reflect.Field field = ai.djl.ndarray.BaseNDManager.class.getDeclaredField("resources");
        field.setAccessible(true);
        long count = 0;
        for (Object resource : ((Map<?, ?>) field.get(manager)).values()) {
            count += resource instanceof NDManager sub ? arrays(sub) : 1;
        }
        return count;
    }

    @Test
    void closingCancelsWhatRunsAndRefusesNewRequests() throws Exception {
        List<int[]> prompts = prompts(2, 4, 9);
        DjlSession session = open(Map.of("max_num_seqs", "1"), Map.of());
        Pausing running = new Pausing(1);
        Collector queued = new Collector();
        session.generate(ids("a", prompts.get(0), SamplingParams.greedy(CONTEXT - 20)), running);
        session.generate(ids("b", prompts.get(1), SamplingParams.greedy(4)), queued);
        running.awaitPause();
        Thread closer = new Thread(session::close);
        closer.start();
        Thread.sleep(100); // close() is waiting for the scheduler, which is inside the listener
        running.resume();
        closer.join(30_000);
        assertEquals("cancelled", running.await().finishReason);
        assertEquals("cancelled", queued.await().finishReason);
        assertFalse(session.healthy());
        Collector late = new Collector();
        session.generate(ids("c", prompts.get(1), SamplingParams.greedy(4)), late);
        assertNotNull(late.await().error);
    }

    @Test
    void aListenerMayCloseTheSession() throws Exception {
        int[] prompt = prompts(1, 4, 15).get(0);
        DjlSession session = open(Map.of(), Map.of());
        Collector closing = new Collector() {
            @Override
            public synchronized void chunk(TokenChunk chunk) {
                super.chunk(chunk);
                if (chunks.size() == 1) {
                    session.close(); // on the scheduler thread: freeing waits until the scheduler stopped
                }
            }
        };
        session.generate(ids("c", prompt, SamplingParams.greedy(CONTEXT - 20)), closing);
        assertEquals("cancelled", closing.await().finishReason);
        assertTrue(eventually(() -> !session.healthy()));
    }

    @Test
    void seededSamplingEqualsTheModelCoreWithTheSameSeed() throws Exception {
        int[] prompt = prompts(1, 10, 10).get(0);
        SamplingParams sampling =
                new SamplingParams(10, 0.8, 0.9, 20, 0.05, 1.1, 0.2, 0.1, 1234, List.of(), List.of(), false, 0);
        GenerationOptions options = new GenerationOptions(
                10, true, 0.8, 20, 0.9, 0.05, 1.1, 0.2, 0.1, 1234, Set.of(TinyCheckpoint.EOS), Set.of(), List.of());
        int[] expected = Generator.generate(reference.model(), List.of(prompt), options, null, null, null)
                .get(0)
                .tokens();
        try (DjlSession session = open(Map.of(), Map.of())) {
            Collector other = new Collector();
            Collector c = new Collector();
            session.generate(ids("other", prompts(1, 10, 11).get(0), SamplingParams.greedy(10)), other);
            session.generate(ids("s", prompt, sampling), c);
            assertArrayEquals(expected, c.await().tokens());
            other.await();
        }
    }

    /** A collector that holds the scheduler thread at its n-th chunk until the test resumes it. */
    static final class Pausing extends Collector {
        final int at;
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch resumed = new CountDownLatch(1);

        Pausing(int at) {
            this.at = at;
        }

        @Override
        public void chunk(TokenChunk chunk) {
            super.chunk(chunk);
            if (chunkCount() == at) {
                paused.countDown();
                try {
                    resumed.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void awaitPause() throws InterruptedException {
            assertTrue(paused.await(30, TimeUnit.SECONDS), "the generation never reached chunk " + at);
        }

        void resume() {
            resumed.countDown();
        }
    }

    static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** The session greedily generates, from a fixed prompt, the tokens the model core's generator makes on its model. */
    static void assertGeneratesAsTheModelCore(DjlSession session, DecoderModel served) throws InterruptedException {
        int[] prompt = {1, 5, 9, 12, 40, 41};
        int[] expected = Generator.generate(
                        served, List.of(prompt), GenerationOptions.greedy(8, Set.of()), null, null, null)
                .get(0)
                .tokens();
        Collector c = new Collector();
        session.generate(ids("a", prompt, SamplingParams.greedy(8)), c);
        c.await();
        assertArrayEquals(expected, c.tokens());
    }
}
