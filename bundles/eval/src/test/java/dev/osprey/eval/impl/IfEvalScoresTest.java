package dev.osprey.eval.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.eval.impl.GenerationEvaluator.Problem;

/**
 * IFEval's four accuracies over the sample file (IFEval's public layout) for responses written by hand, against the
 * counts worked out by hand beside each response.
 */
class IfEvalScoresTest {

    private static final Path SAMPLE = Path.of("src/test/resources/ifeval/input_data.jsonl");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void promptAndInstructionLevelAccuraciesAreThePapers() throws IOException {
        List<Problem> problems = IfEvalEvaluator.read(SAMPLE);
        assertEquals(5, problems.size());
        List<String> responses = List.of(
                // 2 paragraphs, no comma: both followed
                "A heron waited in the reeds.\n***\nThen it flew away at dusk.",
                // 3 sentences, both keywords, but a line after the end phrase: strictly 2 of 3, loosely all 3
                "The river ends in a delta. It carries silt. It is wide. Is there anything else I can help with?\n"
                        + "Thanks!",
                // a title, but one bullet: 1 of 2 both ways
                "<<Owls>>\n* They hunt at night.\nThey are quiet.",
                // JSON in a fence, lowercase English: "Sure," before it breaks the JSON strictly, not loosely
                "sure, here it is:\n{\"capital of france\": \"paris is the capital of the country\"}",
                // no postscript, and a forbidden word: 0 of 2
                "There once was a cat and a mouse.");
        IfEvalEvaluator evaluator = new IfEvalEvaluator(null, null);
        Tally tally = new Tally();
        for (int i = 0; i < problems.size(); i++) {
            ObjectNode line = JSON.createObjectNode().put("subset", IfEvalEvaluator.SUBSET);
            line.setAll((ObjectNode) JSON.valueToTree(evaluator.judge(problems.get(i), responses.get(i))));
            evaluator.count(tally, line);
        }
        // strict: prompts 1 of 5; instructions 2 + 2 + 1 + 1 (lowercase; the JSON fails) + 0 = 6 of 11
        assertEquals(1 / 5.0, tally.accuracy("prompt_level_strict_acc"), 1e-12);
        assertEquals(6 / 11.0, tally.accuracy("inst_level_strict_acc"), 1e-12);
        // loose: the river's last line and the JSON's first line dropped: prompts 3 of 5; instructions 2+3+1+2+0 = 8
        assertEquals(3 / 5.0, tally.accuracy("prompt_level_loose_acc"), 1e-12);
        assertEquals(8 / 11.0, tally.accuracy("inst_level_loose_acc"), 1e-12);
    }

    @Test
    void aRowWithAnUnknownInstructionIsNamed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("input_data.jsonl");
        Files.writeString(
                file,
                Files.readString(SAMPLE)
                        + "{\"key\": 9, \"prompt\": \"p\", \"instruction_id_list\": [\"detectable_format:haiku\"],"
                        + " \"kwargs\": [{}]}\n");
        IOException bad = assertThrows(IOException.class, () -> IfEvalEvaluator.read(file));
        assertTrue(
                bad.getMessage().contains("line 6") && bad.getMessage().contains("detectable_format:haiku"),
                bad.getMessage());
    }
}
