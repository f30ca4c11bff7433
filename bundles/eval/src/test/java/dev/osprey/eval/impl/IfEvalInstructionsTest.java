package dev.osprey.eval.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * IFEval's instruction checkers: each one passes a response that follows it and fails one that does not, on the
 * registry's own argument names; the edge cases are those of the original's regular expressions and counts.
 */
class IfEvalInstructionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static boolean follows(String id, String kwargs, String response) {
        try {
            JsonNode node = JSON.readTree(kwargs);
            return IfEvalInstructions.follows(id, node, response);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void keywords() {
        String id = "keywords:existence";
        assertTrue(follows(id, "{\"keywords\": [\"delta\", \"Silt\"]}", "The DELTA is full of silt."));
        assertFalse(follows(id, "{\"keywords\": [\"delta\", \"silt\"]}", "The delta is full of sand."));

        id = "keywords:frequency";
        assertTrue(follows(id, "{\"keyword\": \"owl\", \"frequency\": 2, \"relation\": \"at least\"}", "Owl, owl."));
        assertFalse(follows(id, "{\"keyword\": \"owl\", \"frequency\": 3, \"relation\": \"at least\"}", "Owl, owl."));
        assertTrue(follows(id, "{\"keyword\": \"owl\", \"frequency\": 3, \"relation\": \"less than\"}", "Owl, owl."));
        assertFalse(follows(id, "{\"keyword\": \"owl\", \"frequency\": 2, \"relation\": \"less than\"}", "Owl, owl."));

        id = "keywords:forbidden_words";
        assertTrue(follows(id, "{\"forbidden_words\": [\"dog\"]}", "Hotdogs are not dogs."), "whole words only");
        assertFalse(follows(id, "{\"forbidden_words\": [\"dog\"]}", "A Dog barked."));

        id = "keywords:letter_frequency";
        assertTrue(follows(id, "{\"letter\": \"q\", \"let_frequency\": 2, \"let_relation\": \"at least\"}", "Quiz q"));
        assertFalse(follows(id, "{\"letter\": \"q\", \"let_frequency\": 2, \"let_relation\": \"less than\"}", "Qq"));
    }

    @Test
    void lengths() {
        String id = "length_constraints:number_words";
        assertTrue(follows(id, "{\"num_words\": 5, \"relation\": \"less than\"}", "Only four words here."));
        assertFalse(follows(id, "{\"num_words\": 4, \"relation\": \"less than\"}", "Only four words here."));
        assertTrue(follows(id, "{\"num_words\": 4, \"relation\": \"at least\"}", "don't count-twice ok"));

        id = "length_constraints:number_sentences";
        // Mr. and the decimal point do not end sentences
        assertEquals(2, Sentences.split("Mr. Smith paid 3.5 dollars. He left!").size());
        assertTrue(follows(id, "{\"num_sentences\": 2, \"relation\": \"at least\"}", "One. Two? Three!"));
        assertFalse(follows(id, "{\"num_sentences\": 3, \"relation\": \"less than\"}", "One. Two? Three!"));

        id = "length_constraints:number_paragraphs";
        assertTrue(follows(id, "{\"num_paragraphs\": 2}", "First part.\n***\nSecond part."));
        assertTrue(follows(id, "{\"num_paragraphs\": 2}", "***\nFirst part.\n***\nSecond part.\n***"));
        assertFalse(follows(id, "{\"num_paragraphs\": 2}", "First.\n***\n\n***\nSecond."), "an empty middle one");
        assertFalse(follows(id, "{\"num_paragraphs\": 2}", "First part.\n\nSecond part."));

        id = "length_constraints:nth_paragraph_first_word";
        String kwargs = "{\"num_paragraphs\": 2, \"nth_paragraph\": 2, \"first_word\": \"however\"}";
        assertTrue(follows(id, kwargs, "It rained.\n\n\"However, it cleared.\""));
        assertFalse(follows(id, kwargs, "It rained.\n\nThen it cleared."));
        assertFalse(follows(id, kwargs, "It rained.\n\nHowever it cleared.\n\nThird."), "three paragraphs");
    }

    @Test
    void content() {
        assertTrue(
                follows("detectable_content:number_placeholders", "{\"num_placeholders\": 2}", "[name] at [address]"));
        assertFalse(follows("detectable_content:number_placeholders", "{\"num_placeholders\": 2}", "[name] at home"));

        String id = "detectable_content:postscript";
        assertTrue(follows(id, "{\"postscript_marker\": \"P.S.\"}", "Hello.\n\nP.S. see you"));
        assertTrue(follows(id, "{\"postscript_marker\": \"P.P.S\"}", "Hello.\np. p. s later"));
        assertFalse(follows(id, "{\"postscript_marker\": \"P.S.\"}", "Hello. PS see you"));
    }

    @Test
    void formats() {
        String id = "detectable_format:number_bullet_lists";
        assertTrue(follows(id, "{\"num_bullets\": 2}", "Facts:\n* one\n- two"));
        assertFalse(follows(id, "{\"num_bullets\": 2}", "Facts:\n* one\n* two\n* three"));
        assertFalse(follows(id, "{\"num_bullets\": 1}", "**bold** is not a bullet"));

        id = "detectable_format:constrained_response";
        assertTrue(follows(id, "{}", "Well... My answer is maybe."));
        assertFalse(follows(id, "{}", "My answer is perhaps."));

        id = "detectable_format:number_highlighted_sections";
        assertTrue(follows(id, "{\"num_highlights\": 2}", "*one* and **two**"));
        assertFalse(follows(id, "{\"num_highlights\": 2}", "*one* and ** **"));

        id = "detectable_format:multiple_sections";
        String sections = "{\"section_spliter\": \"Section\", \"num_sections\": 2}";
        assertTrue(follows(id, sections, "Section 1\nintro\nSection 2\nend"));
        assertFalse(follows(id, sections, "Section 1\nintro only"));

        id = "detectable_format:json_format";
        assertTrue(follows(id, "{}", "```json\n{\"capital\": \"paris\"}\n```"));
        assertFalse(follows(id, "{}", "{\"capital\": \"paris\"} and more"));
        assertFalse(follows(id, "{}", "The capital is Paris."));

        id = "detectable_format:title";
        assertTrue(follows(id, "{}", "<<Owls at night>>\ntext"));
        assertFalse(follows(id, "{}", "<< >> no title\n<<broken\n>>"));
    }

    @Test
    void combinationsStartsAndEnds() {
        String id = "combination:two_responses";
        assertTrue(follows(id, "{}", "Yes.\n******\nNo."));
        assertFalse(follows(id, "{}", "Yes.\n******\nYes."), "the two must differ");
        assertFalse(follows(id, "{}", "Yes."));

        id = "combination:repeat_prompt";
        assertTrue(follows(id, "{\"prompt_to_repeat\": \"Name a bird.\"}", "name a bird. A heron."));
        assertFalse(follows(id, "{\"prompt_to_repeat\": \"Name a bird.\"}", "A heron."));

        id = "startend:end_checker";
        assertTrue(follows(id, "{\"end_phrase\": \"Any other questions?\"}", "Done. any other questions?\"  "));
        assertFalse(follows(id, "{\"end_phrase\": \"Any other questions?\"}", "Any other questions? Bye."));

        assertTrue(follows("startend:quotation", "{}", " \"quoted\" "));
        assertFalse(follows("startend:quotation", "{}", "\"half quoted"));
        assertTrue(follows("punctuation:no_comma", "{}", "No commas here."));
        assertFalse(follows("punctuation:no_comma", "{}", "One, two."));
    }

    @Test
    void casesAndLanguage() {
        String id = "change_case:capital_word_frequency";
        String atLeastTwo = "{\"capital_frequency\": 2, \"capital_relation\": \"at least\"}";
        assertTrue(follows(id, atLeastTwo, "THIS is VERY important"));
        assertFalse(follows(id, atLeastTwo, "This is VERY important"));

        assertTrue(follows("change_case:english_capital", "{}", "THE RIVER IS WIDE AND THE WATER IS COLD."));
        assertFalse(follows("change_case:english_capital", "{}", "THE RIVER is wide."));
        assertFalse(follows("change_case:english_capital", "{}", "LE FLEUVE EST LARGE ET LA EAU EST FROIDE."));
        assertTrue(follows("change_case:english_lowercase", "{}", "the capital of france is paris."));
        assertFalse(follows("change_case:english_lowercase", "{}", "The capital of France is Paris."));

        id = "language:response_language";
        assertTrue(follows(id, "{\"language\": \"fr\"}", "La capitale de la France est Paris et elle est belle."));
        assertFalse(follows(id, "{\"language\": \"en\"}", "La capitale de la France est Paris et elle est belle."));
        assertTrue(follows(id, "{\"language\": \"ru\"}", "Столица Франции — Париж."));
        assertFalse(follows(id, "{\"language\": \"ko\"}", "Столица Франции — Париж."));
        assertTrue(follows(id, "{\"language\": \"ko\"}", "프랑스의 수도는 파리입니다."));
        assertTrue(follows(id, "{\"language\": \"ja\"}", "フランスの首都はパリです。"));
        assertFalse(follows(id, "{\"language\": \"zh\"}", "フランスの首都はパリです。"));
        assertFalse(follows(id, "{\"language\": \"hi\"}", "The capital of France is Paris."));
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class, () -> follows("keywords:frequency", "{\"keyword\": \"a\"}", "a"));
        assertTrue(missing.getMessage().contains("keywords:frequency")
                && missing.getMessage().contains("frequency"));
        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> follows("no:such", "{}", "a"));
        assertTrue(unknown.getMessage().contains("no:such"), unknown.getMessage());
        assertEquals(25, IfEvalInstructions.IDS.size());
    }

    @Test
    void looseReadingsDropTheFirstAndLastLinesAndAsterisks() {
        List<String> variants = IfEvalEvaluator.looseVariants("Sure!\n**x, y**\nHope it helps");
        assertEquals("Sure!\n**x, y**\nHope it helps", variants.get(0));
        assertEquals("**x, y**\nHope it helps", variants.get(1));
        assertEquals("Sure!\n**x, y**", variants.get(2));
        assertEquals("**x, y**", variants.get(3));
        assertEquals("x, y", variants.get(7));
    }
}
