package dev.osprey.openai.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.backend.djl.TinyCheckpoint;

/**
 * A tiny random Llama whose tokenizer is byte-level BPE without merges (GPT-2's byte alphabet: one token per
 * byte, so any text round-trips and a text of n ASCII bytes is n tokens) and whose chat template, written for the
 * tests, is ChatML with Hermes tools ({@code <tool_call>}) and a generation prompt that opens the think block, as
 * DeepSeek-R1's and Qwen3-Thinking-2507's do, or with {@code enable_thinking=false} writes Qwen3's empty one.
 */
final class ByteLevelCheckpoint {

    static final String IM_START = "<|im_start|>";
    static final String IM_END = "<|im_end|>";
    static final int VOCAB = 264;

    /** ChatML with a Hermes tool list; {@code <think>\n} opens the answer, or the empty block when thinking is off. */
    static final String TEMPLATE = "{%- if tools %}<|im_start|>system\n# Tools\n<tools>{%- for t in tools %}\n"
            + "{{ t | tojson }}{%- endfor %}\n</tools>\nCall one as <tool_call>\n{\"name\": <name>, \"arguments\":"
            + " <args>}\n</tool_call><|im_end|>\n{%- endif %}{%- for m in messages %}<|im_start|>{{ m.role }}\n"
            + "{{ m.content }}<|im_end|>\n{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n"
            + "{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}"
            + "{%- else %}{{ '<think>\\n' }}{%- endif %}{%- endif %}";

    private ByteLevelCheckpoint() {}

    static Path model(Path folder, int maxPositions) throws IOException {
        TinyCheckpoint.model(folder, VOCAB, 64, 2, 4, 2, 128, maxPositions);
        Files.writeString(folder.resolve("tokenizer.json"), tokenizer(), StandardCharsets.UTF_8);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bos_token", null);
        config.put("eos_token", IM_END);
        config.put("add_bos_token", false);
        config.put("chat_template", TEMPLATE);
        Files.writeString(folder.resolve("tokenizer_config.json"), Json.MAPPER.writeValueAsString(config));
        Files.writeString(folder.resolve("generation_config.json"), "{\"eos_token_id\": 257}");
        return folder;
    }

    /** GPT-2's printable stand-in for each byte. */
    static char[] byteAlphabet() {
        List<Integer> bs = new ArrayList<>();
        for (int c = '!'; c <= '~'; c++) {
            bs.add(c);
        }
        for (int c = 0xA1; c <= 0xAC; c++) {
            bs.add(c);
        }
        for (int c = 0xAE; c <= 0xFF; c++) {
            bs.add(c);
        }
        char[] out = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            out[b] = bs.contains(b) ? (char) b : (char) (256 + n++);
        }
        return out;
    }

    static String tokenizer() throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        char[] alphabet = byteAlphabet();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(alphabet[b]), b);
        }
        vocab.put(IM_START, 256);
        vocab.put(IM_END, 257);
        List<Map<String, Object>> added = new ArrayList<>();
        for (String special : List.of(IM_START, IM_END)) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", vocab.get(special));
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
            added.add(t);
        }
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", true);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", List.of());
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        tok.put("truncation", null);
        tok.put("padding", null);
        tok.put("added_tokens", added);
        tok.put("normalizer", null);
        tok.put("pre_tokenizer", byteLevel);
        tok.put("post_processor", null);
        tok.put("decoder", byteLevel);
        tok.put("model", model);
        return Json.MAPPER.writeValueAsString(tok);
    }
}
