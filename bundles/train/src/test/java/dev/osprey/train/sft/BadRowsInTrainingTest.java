package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;

import dev.osprey.dataset.DatasetException;
import dev.osprey.train.loop.TrainingListener;

/**
 * {@code --strict}: a row that cannot be read and a row with nothing to train on (no assistant answer)
 * follow one rule, in a file on disk trained on by the tiny chat model: strict, the job stops naming the
 * row's file and line; not strict, the job trains on the rest and its output names each row it skipped.
 */
class BadRowsInTrainingTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** Good rows, then on line 5 a row without an assistant answer and on line 6 broken JSON, then good rows. */
    private Path dataWithBadRows() throws Exception {
        Path data = dir.resolve("train.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(TinyChatModel.dataset(dir.resolve("good.jsonl"), 1)));
        lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"capital of france\"}]}");
        lines.add("{\"query\": \"capital of italy\", ");
        lines.addAll(List.copyOf(lines.subList(0, 2)));
        Files.write(data, lines);
        return data;
    }

    private SftArguments args(Path data, boolean strict) throws Exception {
        Path model = TinyChatModel.folder(dir.resolve("model"));
        return new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .strict(strict)
                .maxLength(64)
                .perDeviceTrainBatchSize(2)
                .learningRate(1e-2)
                .maxSteps(2)
                .saveSteps(0)
                .outputDir(dir.resolve("out"))
                .seed(1);
    }

    private static TrainingListener recording(List<String> messages) {
        return new TrainingListener() {
            @Override
            public void message(String text) {
                messages.add(text);
            }
        };
    }

    @Test
    void notStrictSkipsARowWithoutAnAnswerLikeABrokenOneAndNamesBoth() throws Exception {
        Path data = dataWithBadRows();
        List<String> messages = new ArrayList<>();
        SftJob.Result result = new SftJob(
                        args(data, false), TinyChatModel.provider(dir.resolve("model")), recording(messages))
                .train(manager);

        assertEquals(2, result.steps().size());
        String summary = messages.stream()
                .filter(m -> m.startsWith("skipped "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(messages));
        assertTrue(summary.startsWith("skipped 2 bad rows (--strict false): "), summary);
        assertTrue(
                summary.contains(data + ":5: no tokens left to train on (the row has no assistant answer)"), summary);
        assertTrue(summary.contains(data + ":6: bad JSON"), summary);
        assertTrue(
                messages.stream().anyMatch(m -> m.contains("on 6 sequences")),
                "the six good rows are trained on: " + messages);
    }

    @Test
    void strictStopsAtTheRowWithoutAnAnswerNamingFileAndLine() throws Exception {
        Path data = dir.resolve("train.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(TinyChatModel.dataset(dir.resolve("good.jsonl"), 1)));
        lines.add(
                "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"capital of france\"}]}");
        Files.write(data, lines);
        DatasetException e = assertThrows(
                DatasetException.class,
                () -> new SftJob(args(data, true), TinyChatModel.provider(dir.resolve("model"))).train(manager));
        assertEquals(data + ":5", e.source());
        assertEquals(data + ":5: no tokens left to train on (the row has no assistant answer)", e.getMessage());
    }

    @Test
    void aStreamNamesTheRowsItSkippedWhenTheRunEnds() throws Exception {
        Path data = dataWithBadRows();
        List<String> messages = new ArrayList<>();
        new SftJob(
                        args(data, false).streaming(true).shuffleBufferSize(4),
                        TinyChatModel.provider(dir.resolve("model")),
                        recording(messages))
                .train(manager);
        String summary = messages.stream()
                .filter(m -> m.startsWith("skipped "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(messages));
        assertTrue(
                summary.contains(data + ":5: no tokens left to train on") && summary.contains(data + ":6: bad JSON"),
                summary);
    }

    @Test
    void whenEveryRowIsBadTheErrorNamesThem() throws Exception {
        Path data = dir.resolve("prompts-only.jsonl");
        Files.writeString(data, "{\"query\": \"capital of france\"}\n{\"query\": \"capital of italy\"}\n");
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> new SftJob(args(data, false), TinyChatModel.provider(dir.resolve("model"))).train(manager));
        assertTrue(
                e.getMessage()
                        .startsWith("no training rows left in [" + data + "]: skipped 2 bad rows (--strict false): "
                                + data + ":1: no tokens left to train on (the row has no assistant answer); " + data
                                + ":2: "),
                e.getMessage());
    }
}
