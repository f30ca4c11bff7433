package dev.osprey.export.impl;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.osprey.checkpoint.HfConfig;

/**
 * A Hugging Face decoder as llama.cpp's GGUF names it, as {@code convert_hf_to_gguf.py} does for the {@code llama}
 * (also Mistral's), {@code qwen2} and {@code gemma} architectures: the hyper-parameters as {@code ARCH.*} metadata
 * and each checkpoint tensor under llama.cpp's name ({@code blk.N.attn_q.weight}, ...), with dimensions in ggml
 * order (innermost first). Llama's q and k projections are permuted from Hugging Face's rotate-half layout to the
 * interleaved pairs llama.cpp's rope expects; Qwen2 and Gemma use llama.cpp's NEOX rope, which is rotate-half, so
 * their weights stay. Gemma's RMSNorm scales by 1 + w, llama.cpp's by w: its norm weights are written plus one.
 */
final class GgufModel {

    private static final Logger LOG = System.getLogger(GgufModel.class.getName());

    /** Hugging Face model_type → llama.cpp architecture. */
    static final Map<String, String> ARCHITECTURES = Map.of(
            "llama", "llama",
            "mistral", "llama",
            "qwen2", "qwen2",
            "gemma", "gemma",
            "gemma2", "gemma2",
            "gemma3_text", "gemma3");

    /** The MLP activation llama.cpp's architecture computes: SiLU, or Gemma's tanh-approximated GELU. */
    private static final Map<String, List<String>> ACTIVATIONS = Map.of(
            "llama", List.of("silu"),
            "qwen2", List.of("silu"),
            "gemma", List.of("gelu_pytorch_tanh", "gelu"),
            "gemma2", List.of("gelu_pytorch_tanh"),
            "gemma3", List.of("gelu_pytorch_tanh"));

    /**
     * llama.cpp's fixed sliding-window layer pattern: every {@code n}th layer global, the others sliding (Gemma 2:
     * 2, Gemma 3: 6). It does not read transformers' {@code layer_types}, so those must follow it.
     */
    private static final Map<String, Integer> SLIDING_PATTERNS = Map.of("gemma2", 2, "gemma3", 6);

    /** Gemma 2 and 3 name their four norms differently from Llama's two. */
    private static final Map<String, String> GEMMA2_LAYER_NAMES = Map.of(
            "post_attention_layernorm", "post_attention_norm",
            "pre_feedforward_layernorm", "ffn_norm",
            "post_feedforward_layernorm", "post_ffw_norm",
            "self_attn.q_norm", "attn_q_norm",
            "self_attn.k_norm", "attn_k_norm");

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Map<String, String> LAYER_NAMES = Map.of(
            "input_layernorm", "attn_norm",
            "post_attention_layernorm", "ffn_norm",
            "self_attn.q_proj", "attn_q",
            "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v",
            "self_attn.o_proj", "attn_output",
            "mlp.gate_proj", "ffn_gate",
            "mlp.up_proj", "ffn_up",
            "mlp.down_proj", "ffn_down");
    private static final Map<String, String> GLOBAL_NAMES = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    /** A checkpoint tensor: its Hugging Face shape (outermost first) and its values in row-major order. */
    record HfTensor(long[] shape, float[] values) {}

    final HfConfig config;
    final String arch;
    final int heads;
    final int kvHeads;
    final int headDim;
    final boolean tied;
    final GgufRope rope;

    /**
     * @throws IllegalArgumentException naming the model_type or config.json field llama.cpp's export does not take
     */
    GgufModel(HfConfig config) {
        this.config = config;
        this.arch = ARCHITECTURES.get(config.modelType());
        if (arch == null) {
            throw new IllegalArgumentException("gguf export does not support model_type " + config.modelType()
                    + "; supported: " + ARCHITECTURES.keySet().stream().sorted().toList());
        }
        this.heads = config.requireInt("num_attention_heads");
        this.kvHeads = config.getInt(heads, "num_key_value_heads");
        this.headDim = config.getInt(config.requireInt("hidden_size") / heads, "head_dim");
        // transformers' Gemma configs tie by default, the others do not
        this.tied = config.getBoolean(isGemma(), "tie_word_embeddings");
        if (isGemma() && !tied) {
            throw unsupported("tie_word_embeddings", "false (llama.cpp's " + arch + " uses the embedding as the head)");
        }
        String act = config.getString("hidden_activation", "hidden_act").orElse("silu");
        if (!ACTIVATIONS.get(arch).contains(act)) {
            throw unsupported("hidden_act", act);
        }
        if (SLIDING_PATTERNS.containsKey(arch)) {
            checkGemmaAttention();
        }
        this.rope = new GgufRope(config, headDim);
        if (!GgufRope.SUPPORTED.contains(rope.type)) {
            // llama.cpp has no dynamic NTK for these architectures, and longrope is Phi-3's
            throw unsupported("rope_type", rope.type);
        }
        if (config.getBoolean(false, "use_sliding_window")) {
            throw unsupported("use_sliding_window", "true");
        }
        int window = config.getInt(0, "sliding_window");
        if (arch.equals("llama") && window > 0 && window < config.requireInt("max_position_embeddings")) {
            // as convert_hf_to_gguf.py, which writes no window for Mistral: llama.cpp attends to the whole context
            LOG.log(
                    Level.WARNING,
                    "{0}: llama.cpp's llama architecture has no sliding window; beyond {1} tokens"
                            + " its attention differs from the model''s",
                    config.source(),
                    window);
        }
    }

    private boolean isGemma() {
        return arch.startsWith("gemma");
    }

    /**
     * Gemma 2 and 3 as llama.cpp computes them: queries scaled by 1/√head_dim (transformers by
     * 1/√query_pre_attn_scalar; llama.cpp takes hidden/heads only for the 27B shapes, which it knows by layer count),
     * layers sliding in llama.cpp's fixed pattern, and (Gemma 3) no attention soft-capping.
     */
    private void checkGemmaAttention() {
        int scalar = config.getInt(256, "query_pre_attn_scalar");
        if (scalar != headDim) {
            throw unsupported(
                    "query_pre_attn_scalar",
                    scalar + " (llama.cpp scales queries by 1/sqrt(head_dim " + headDim + "))");
        }
        int pattern = SLIDING_PATTERNS.get(arch);
        int layers = config.requireInt("num_hidden_layers");
        Object types = config.get("layer_types").orElse(null);
        if (types instanceof List<?> list) {
            for (int i = 0; i < list.size() && i < layers; i++) {
                String expected = i % pattern < pattern - 1 ? "sliding_attention" : "full_attention";
                if (!expected.equals(list.get(i))) {
                    throw unsupported(
                            "layer_types[" + i + "]",
                            list.get(i) + " (llama.cpp's " + arch + " makes every " + pattern
                                    + "th layer global, the others sliding)");
                }
            }
        }
        if (arch.equals("gemma3") && config.get("attn_logit_softcapping").isPresent()) {
            throw unsupported(
                    "attn_logit_softcapping",
                    String.valueOf(config.get("attn_logit_softcapping").get()));
        }
    }

    private IllegalArgumentException unsupported(String field, String value) {
        return new IllegalArgumentException("gguf export of model_type " + config.modelType() + " does not support "
                + field + " = " + value + " (config.json " + config.source() + ")");
    }

    /** The {@code general.*} and {@code ARCH.*} metadata. */
    void putMetadata(GgufWriter gguf, String name, GgufFileType type) {
        gguf.put("general.architecture", arch)
                .put("general.type", "model")
                .put("general.name", name)
                .put("general.file_type", type.fileType)
                .put("general.quantization_version", 2);
        String a = arch + ".";
        gguf.put(a + "vocab_size", config.requireInt("vocab_size"))
                .put(a + "context_length", config.requireInt("max_position_embeddings"))
                .put(a + "embedding_length", config.requireInt("hidden_size"))
                .put(a + "feed_forward_length", config.requireInt("intermediate_size"))
                .put(a + "block_count", config.requireInt("num_hidden_layers"))
                .put(a + "attention.head_count", heads)
                .put(a + "attention.head_count_kv", kvHeads)
                .put(a + "attention.key_length", headDim)
                .put(a + "attention.value_length", headDim)
                .put(a + "rope.dimension_count", headDim)
                .put(a + "rope.freq_base", (float) rope.theta())
                .put(a + "attention.layer_norm_rms_epsilon", (float) config.getDouble(1e-6, "rms_norm_eps"));
        rope.putScaling(gguf, a);
        if (SLIDING_PATTERNS.containsKey(arch)) {
            putGemmaAttention(gguf, a);
        }
    }

    /** Gemma 2 and 3: soft-capping, the sliding window, and Gemma 3's rope base for its sliding layers. */
    private void putGemmaAttention(GgufWriter gguf, String a) {
        config.get("attn_logit_softcapping")
                .ifPresent(c ->
                        gguf.put(a + "attn_logit_softcapping", (float) config.getDouble(0, "attn_logit_softcapping")));
        config.get("final_logit_softcapping")
                .ifPresent(c -> gguf.put(
                        a + "final_logit_softcapping", (float) config.getDouble(0, "final_logit_softcapping")));
        gguf.put(a + "attention.sliding_window", config.requireInt("sliding_window"));
        if (arch.equals("gemma3")) {
            gguf.put(a + "rope.freq_base_swa", (float)
                    config.getDouble(10000.0, "rope_parameters.sliding_attention.rope_theta", "rope_local_base_freq"));
        }
    }

    /**
     * Adds every tensor under its llama.cpp name, each in the type {@code type} chooses for it: 1-D ones (norms,
     * biases) in F32 as llama.cpp's converter keeps them, matrices in the file type's type or mix (F16 where rows
     * would not fill whole blocks).
     *
     * @throws IllegalArgumentException naming a tensor llama.cpp has no place for
     */
    void addTensors(GgufWriter gguf, Map<String, HfTensor> tensors, GgufFileType type) {
        int layers = config.requireInt("num_hidden_layers");
        for (String hfName :
                tensors.keySet().stream().sorted(GgufModel::byLayer).toList()) {
            if (hfName.endsWith("rotary_emb.inv_freq") || (tied && hfName.equals("lm_head.weight"))) {
                continue; // recomputed by llama.cpp; a tied head is token_embd itself
            }
            HfTensor t = tensors.get(hfName);
            float[] values = t.values();
            String name = ggufName(hfName);
            if (arch.equals("llama") && name.matches("blk\\.\\d+\\.attn_[qk]\\.(weight|bias)")) {
                values = permute(values, t.shape()[0], name.contains("attn_q") ? heads : kvHeads);
            }
            if (isGemma() && name.endsWith("norm.weight")) {
                values = plusOne(values);
            }
            long[] ne = new long[t.shape().length];
            for (int i = 0; i < ne.length; i++) {
                ne[i] = t.shape()[ne.length - 1 - i];
            }
            Matcher layer = LAYER.matcher(hfName);
            GgufType tensorType = type.tensorType(
                    role(name, ne.length), layer.matches() ? Integer.parseInt(layer.group(1)) : -1, layers, ne[0]);
            if (ne.length > 1 && tensorType != type.base && !type.isKQuantMix()) {
                LOG.log(Level.INFO, "{0}: rows of {1} do not fill {2} blocks; written as f16", name, ne[0], type.id());
            }
            gguf.add(new GgufWriter.Tensor(name, ne, values, tensorType));
        }
        if (rope.type.equals("llama3")) {
            float[] factors = rope.llama3FreqFactors();
            gguf.add(new GgufWriter.Tensor("rope_freqs.weight", new long[] {factors.length}, factors, GgufType.F32));
        }
    }

    /** What a k-quant mix chooses the tensor's type by. */
    private GgufFileType.Role role(String name, int dims) {
        if (dims == 1) {
            return GgufFileType.Role.VECTOR;
        }
        if (name.equals("output.weight") || (tied && name.equals("token_embd.weight"))) {
            return GgufFileType.Role.OUTPUT;
        }
        if (name.endsWith(".attn_v.weight")) {
            return GgufFileType.Role.ATTN_V;
        }
        return name.endsWith(".ffn_down.weight") ? GgufFileType.Role.FFN_DOWN : GgufFileType.Role.MATRIX;
    }

    private static float[] plusOne(float[] w) {
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] + 1;
        }
        return out;
    }

    /** llama.cpp's name of a Hugging Face tensor. */
    String ggufName(String hfName) {
        String global = GLOBAL_NAMES.get(hfName);
        if (global != null) {
            return global;
        }
        Matcher m = LAYER.matcher(hfName);
        String module = !m.matches()
                ? null
                : SLIDING_PATTERNS.containsKey(arch) && GEMMA2_LAYER_NAMES.containsKey(m.group(2))
                        ? GEMMA2_LAYER_NAMES.get(m.group(2))
                        : LAYER_NAMES.get(m.group(2));
        if (module == null) {
            throw new IllegalArgumentException("gguf export of model_type " + config.modelType()
                    + " has no llama.cpp name for the tensor " + hfName);
        }
        return "blk." + m.group(1) + "." + module + "." + m.group(3);
    }

    /**
     * convert_hf_to_gguf.py's {@code LlamaModel.permute}: within each head, output rows {@code [x0..x(d/2-1),
     * y0..y(d/2-1)]} (rotate-half pairs) become {@code [x0, y0, x1, y1, ...]} (adjacent pairs). Rows are {@code
     * rows = heads * headDim}; the row length is whatever follows (1 for a bias).
     */
    static float[] permute(float[] w, long rows, int heads) {
        int headDim = Math.toIntExact(rows / heads);
        int half = headDim / 2;
        int rowLength = Math.toIntExact(w.length / rows);
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int from = h * headDim + j * half + i; // (heads, 2, half) in Hugging Face's order
                    int to = h * headDim + i * 2 + j; // (heads, half, 2) in llama.cpp's order
                    System.arraycopy(w, from * rowLength, out, to * rowLength, rowLength);
                }
            }
        }
        return out;
    }

    /** Global tensors first, then layers in numeric order (blk.2 before blk.10), as llama.cpp's converter lists them. */
    private static int byLayer(String a, String b) {
        Matcher ma = LAYER.matcher(a);
        Matcher mb = LAYER.matcher(b);
        int la = ma.matches() ? Integer.parseInt(ma.group(1)) : -1;
        int lb = mb.matches() ? Integer.parseInt(mb.group(1)) : -1;
        return la != lb ? Integer.compare(la, lb) : a.compareTo(b);
    }

    static List<String> supported() {
        return ARCHITECTURES.keySet().stream().sorted().toList();
    }
}
