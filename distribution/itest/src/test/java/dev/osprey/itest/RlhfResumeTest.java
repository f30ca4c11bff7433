package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.itest.ChildProcess.Result;

/**
 * {@code osprey rlhf} as a user runs it, through the one Trainer every method shares: DPO evaluates on a held-out
 * split under TRL's names ({@code eval_loss}, {@code eval_rewards/accuracies}, {@code eval_rewards/margins}) in
 * logging.jsonl, and a run resumed from a checkpoint — in a fresh folder, or in its own folder where the log
 * after the checkpoint is rewritten — repeats the uninterrupted run's records bit for bit; so does a reward
 * model's ({@code --rlhf_type rm}), from the adapter and head beside its checkpoint's merged weights.
 */
class RlhfResumeTest {

    @TempDir
    static Path home;

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void layOutHome() throws IOException {
        DistributionCliTest.layOutHome(home);
    }

    /** The demo's questions with their answers chosen and, rejected, the answer of the next question. */
    private static Path pairs() throws IOException {
        List<String> rows =
                Files.readAllLines(home.resolve("demo/data/qa.jsonl")).subList(0, 30);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            ObjectNode row = (ObjectNode) JSON.readTree(rows.get(i));
            ArrayNode next =
                    (ArrayNode) JSON.readTree(rows.get((i + 1) % rows.size())).get("messages");
            row.put(
                    "rejected_response",
                    next.get(next.size() - 1).get("content").asText());
            out.add(JSON.writeValueAsString(row));
        }
        Path file = home.resolve("pairs.jsonl");
        Files.write(file, out);
        return file;
    }

    private static List<ObjectNode> dpo(Path out, String... extra) throws Exception {
        return rlhf("dpo", out, extra);
    }

    private static List<ObjectNode> rlhf(String type, Path out, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                home.resolve("bin/osprey").toString(),
                "rlhf",
                "--rlhf_type",
                type,
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--dataset",
                pairs().toString(),
                "--split_dataset_ratio",
                "0.2",
                "--eval_steps",
                "5",
                "--max_steps",
                "20",
                "--save_steps",
                "10",
                "--logging_steps",
                "1",
                "--per_device_train_batch_size",
                "2",
                "--gradient_accumulation_steps",
                "2",
                "--learning_rate",
                "5e-3",
                "--lora_dropout",
                "0.1",
                "--output_dir",
                out.toString()));
        command.addAll(List.of(extra));
        Result run = ChildProcess.run(new ProcessBuilder(command), DistributionCliTest.OSPREY_TIMEOUT);
        assertEquals(0, run.exit(), run.out());
        return ReproducibleTrainingTest.records(out);
    }

    @Test
    void dpoEvaluatesOnAHeldOutSplitAndResumesBitForBit() throws Exception {
        Path whole = home.resolve("dpo-whole");
        List<ObjectNode> first = dpo(whole);
        assertEquals(20, first.size(), first.toString());
        for (int step = 5; step <= 20; step += 5) {
            ObjectNode record = first.get(step - 1);
            for (String name :
                    List.of("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_rewards/chosen")) {
                assertTrue(
                        record.has(name) && Double.isFinite(record.get(name).asDouble()),
                        name + " at step " + step + ": " + record);
            }
        }
        assertTrue(!first.get(5).has("eval_loss"), "step 6 is not evaluated: " + first.get(5));
        assertTrue(
                first.get(0).has("rewards/margins") && first.get(0).has("num_tokens"),
                first.get(0).toString());
        assertTrue(Files.isRegularFile(whole.resolve("loss.png")), "the loss plot");
        assertTrue(Files.isRegularFile(whole.resolve("checkpoint-10/trainer_state.json")), "checkpoint-10");

        // in a fresh folder: the steps after the checkpoint
        List<ObjectNode> fresh = dpo(
                home.resolve("dpo-fresh"),
                "--resume_from_checkpoint",
                whole.resolve("checkpoint-10").toString());
        assertEquals(first.subList(10, 20), fresh, "resumed in a fresh folder from checkpoint-10");

        // in its own folder, as after a crash: the log is cut back to the checkpoint and written again
        Path own = home.resolve("dpo-own");
        copyTree(whole, own);
        List<ObjectNode> again = dpo(
                own, "--resume_from_checkpoint", own.resolve("checkpoint-10").toString());
        assertEquals(first, again, "resumed in its own folder from checkpoint-10");
    }

    @Test
    void rewardModelResumesBitForBitFromItsCheckpoint() throws Exception {
        Path whole = home.resolve("rm-whole");
        List<ObjectNode> first = rlhf("rm", whole);
        assertEquals(20, first.size(), first.toString());
        assertTrue(first.get(4).has("eval_accuracy"), "evaluated at step 5: " + first.get(4));
        // the merged sequence-classification folder, and the adapter a resumed run continues
        assertTrue(Files.isRegularFile(whole.resolve("checkpoint-10/model.safetensors")), "checkpoint-10");
        assertTrue(Files.isRegularFile(whole.resolve("checkpoint-10/adapter/adapter_config.json")), "its adapter");

        List<ObjectNode> fresh = rlhf(
                "rm",
                home.resolve("rm-fresh"),
                "--resume_from_checkpoint",
                whole.resolve("checkpoint-10").toString());
        assertEquals(first.subList(10, 20), fresh, "rm resumed in a fresh folder from checkpoint-10");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
