package dev.osprey.model.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;

/**
 * PEFT LoRA adapters: {@code adapter_config.json} with {@code adapter_model.safetensors}, keys such as
 * {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight} (r, in) and {@code ...lora_B.weight}
 * (out, r), scaled by {@code lora_alpha / r} ({@code / sqrt(r)} with {@code use_rslora}), with
 * {@code rank_pattern} and {@code alpha_pattern} overrides per module. DoRA adapters ({@code "use_dora": true})
 * also carry {@code base_model.model.<module>.lora_magnitude_vector} (out), the key PEFT's
 * {@code get_peft_model_state_dict} writes.
 */
public final class PeftAdapter {

    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final Pattern KEY =
            Pattern.compile("^(?:base_model\\.model\\.)?(.+)\\.lora_([AB])(?:\\.[^.]+)?\\.weight$");
    /** PEFT writes {@code <module>.lora_magnitude_vector}; older or unfiltered state dicts add an adapter name and {@code .weight}. */
    private static final Pattern MAGNITUDE_KEY = Pattern.compile(
            "^(?:base_model\\.model\\.)?(.+)\\.lora_magnitude_vector(?:\\.(?!weight$)[^.]+)?(?:\\.weight)?$");

    private static final String MAGNITUDE_SUFFIX = ".lora_magnitude_vector";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PeftAdapter() {}

    /**
     * Attaches the adapter in {@code folder} to the model's linear layers under {@code name}, unmerged.
     *
     * @return the modules it was attached to
     * @throws IllegalArgumentException naming the file and the key or field at fault
     */
    public static List<String> attach(Path folder, List<Linear> linears, String name, NDManager manager)
            throws IOException {
        return attach(folder, linears, name, manager, UnaryOperator.identity());
    }

    /**
     * Attaches the adapter as {@link #attach(Path, List, String, NDManager)} does, reading each module name it
     * stores through {@code moduleKeys}, the model's {@code LanguageModel::checkpointKey}: an adapter trained on
     * another layout of the model (Qwen2-VL under transformers 5: {@code model.language_model.layers.N...}) attaches
     * to the model's own modules ({@code model.layers.N...}).
     */
    public static List<String> attach(
            Path folder, List<Linear> linears, String name, NDManager manager, UnaryOperator<String> moduleKeys)
            throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(
                    folder + " has no " + CONFIG_FILE + ", so it is not a PEFT adapter folder");
        }
        JsonNode config = JSON.readTree(configFile.toFile());
        String type = config.path("peft_type").asText("LORA");
        if (!type.equalsIgnoreCase("LORA")) {
            throw new IllegalArgumentException(configFile + ": peft_type " + type + " is not supported (only LORA)");
        }
        int defaultRank = requireInt(config, "r", configFile);
        double defaultAlpha =
                config.has("lora_alpha") ? config.get("lora_alpha").asDouble() : defaultRank;
        boolean rsLora = config.path("use_rslora").asBoolean(false);
        boolean useDora = config.path("use_dora").asBoolean(false);
        Map<String, Linear> byName = new LinkedHashMap<>();
        linears.forEach(l -> byName.put(l.name(), l));
        requireTargets(config.get("target_modules"), byName.keySet(), configFile);
        WeightFiles weights = WeightFiles.openFile(folder.resolve(WEIGHTS_FILE));
        Map<String, NDArray[]> pairs = new LinkedHashMap<>();
        List<String> saved = modulesToSave(config);
        for (String key : weights.names()) {
            if (isSavedModule(key, saved)) {
                continue; // a whole module trained beside the adapter (a classifier's score head): its owner reads it
            }
            var m = KEY.matcher(key);
            var magnitude = MAGNITUDE_KEY.matcher(key);
            int slot;
            String module;
            if (m.matches()) {
                module = moduleKeys.apply(m.group(1));
                slot = m.group(2).equals("A") ? 0 : 1;
            } else if (magnitude.matches()) {
                if (!useDora) {
                    throw new IllegalArgumentException(weights.source() + ": tensor '" + key
                            + "' is a DoRA magnitude but " + configFile + " does not set use_dora");
                }
                module = moduleKeys.apply(magnitude.group(1));
                slot = 2;
            } else {
                throw new IllegalArgumentException(
                        weights.source() + ": tensor '" + key + "' is not a LoRA weight (expected"
                                + " <module>.lora_A.weight, <module>.lora_B.weight or <module>.lora_magnitude_vector)");
            }
            if (!byName.containsKey(module)) {
                throw new IllegalArgumentException(weights.source() + ": tensor '" + key + "' targets module '" + module
                        + "', which this model does not have");
            }
            pairs.computeIfAbsent(module, k -> new NDArray[3])[slot] = weights.load(manager, key, DataType.FLOAT32);
        }
        List<String> attached = new ArrayList<>();
        for (Map.Entry<String, NDArray[]> e : pairs.entrySet()) {
            if (e.getValue()[0] == null || e.getValue()[1] == null) {
                throw new IllegalArgumentException(
                        weights.source() + ": module '" + e.getKey() + "' lacks lora_A or lora_B");
            }
            if (useDora && e.getValue()[2] == null) {
                throw new IllegalArgumentException(weights.source() + ": module '" + e.getKey()
                        + "' has no lora_magnitude_vector but " + configFile + " sets use_dora");
            }
            int rank = Math.toIntExact(e.getValue()[0].getShape().get(0));
            int expectedRank = patternValue(config.path("rank_pattern"), e.getKey(), defaultRank);
            if (rank != expectedRank) {
                throw new IllegalArgumentException(weights.source() + ": module '" + e.getKey() + "' has rank " + rank
                        + " but " + CONFIG_FILE + " says " + expectedRank);
            }
            double alpha = patternDouble(config.path("alpha_pattern"), e.getKey(), defaultAlpha);
            LoraWeights lora;
            try {
                lora = new LoraWeights(
                        e.getValue()[0], e.getValue()[1], LoraWeights.scaling(alpha, rank, rsLora), e.getValue()[2]);
                byName.get(e.getKey()).attach(name, lora);
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(
                        weights.source() + ": module '" + e.getKey() + "': " + bad.getMessage(), bad);
            }
            attached.add(e.getKey());
        }
        return attached;
    }

    /** PEFT's {@code modules_to_save}: the modules an adapter stores whole (a classifier's {@code score}). */
    private static List<String> modulesToSave(JsonNode config) {
        List<String> modules = new ArrayList<>();
        config.path("modules_to_save").forEach(n -> modules.add(n.asText()));
        return modules;
    }

    private static boolean isSavedModule(String key, List<String> saved) {
        String name = key.startsWith(PREFIX) ? key.substring(PREFIX.length()) : key;
        return saved.stream().anyMatch(m -> name.startsWith(m + ".") || name.contains("." + m + "."));
    }

    /**
     * The tensors of a module the adapter in {@code folder} stores whole ({@code modules_to_save}, as a
     * {@code SEQ_CLS} adapter stores {@code score}), by parameter name ({@code score.weight}); empty when it stores none.
     */
    public static Map<String, NDArray> savedModule(Path folder, String module, NDManager manager) throws IOException {
        JsonNode config = JSON.readTree(folder.resolve(CONFIG_FILE).toFile());
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        if (!modulesToSave(config).contains(module)) {
            return tensors;
        }
        WeightFiles weights = WeightFiles.openFile(folder.resolve(WEIGHTS_FILE));
        for (String key : weights.names()) {
            String name = key.startsWith(PREFIX) ? key.substring(PREFIX.length()) : key;
            // PEFT strips "modules_to_save.<adapter>." when it saves; older files keep it
            name = name.replaceFirst("\\.modules_to_save\\.[^.]+\\.", ".");
            if (name.startsWith(module + ".")) {
                tensors.put(name, weights.load(manager, key, DataType.FLOAT32));
            }
        }
        return tensors;
    }

    /**
     * Refuses an adapter whose {@code target_modules} name a module the model lacks, as PEFT does: each
     * name must be a module or the end of one after a dot; a string is a regular expression that must
     * match a whole module name. Otherwise an adapter made for another architecture would load with
     * some of its layers silently missing.
     */
    private static void requireTargets(JsonNode targets, Set<String> modules, Path configFile) {
        if (targets == null
                || targets.isNull()
                || (targets.isTextual() && targets.asText().equals("all-linear"))) {
            return;
        }
        if (targets.isTextual()) {
            Pattern pattern;
            try {
                pattern = Pattern.compile(targets.asText());
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(configFile + ": target_modules '" + targets.asText()
                        + "' is not a regular" + " expression: " + e.getDescription());
            }
            if (modules.stream().noneMatch(m -> pattern.matcher(m).matches())) {
                throw new IllegalArgumentException(
                        configFile + ": target_modules '" + targets.asText() + "' matches no module of this model");
            }
            return;
        }
        if (!targets.isArray()) {
            throw new IllegalArgumentException(configFile
                    + ": target_modules must be a list of module names or a regular" + " expression, was " + targets);
        }
        for (JsonNode target : targets) {
            String t = target.asText();
            if (modules.stream().noneMatch(m -> m.equals(t) || m.endsWith("." + t))) {
                throw new IllegalArgumentException(configFile + ": target module '" + t + "' is not in this model (its"
                        + " adapters can target "
                        + modules.stream()
                                .map(m -> m.substring(m.lastIndexOf('.') + 1))
                                .distinct()
                                .sorted()
                                .toList() + ")");
            }
        }
    }

    /** The value of the first pattern key that matches the end of the module name (PEFT's rule), else the default. */
    private static int patternValue(JsonNode patterns, String module, int defaultValue) {
        JsonNode v = match(patterns, module);
        return v == null ? defaultValue : v.asInt();
    }

    private static double patternDouble(JsonNode patterns, String module, double defaultValue) {
        JsonNode v = match(patterns, module);
        return v == null ? defaultValue : v.asDouble();
    }

    private static JsonNode match(JsonNode patterns, String module) {
        var it = patterns.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (module.equals(e.getKey())
                    || module.endsWith("." + e.getKey())
                    || Pattern.compile("(.*\\.)?" + e.getKey() + "$")
                            .matcher(module)
                            .matches()) {
                return e.getValue();
            }
        }
        return null;
    }

    private static int requireInt(JsonNode config, String field, Path file) {
        if (!config.path(field).isNumber()) {
            throw new IllegalArgumentException(file + ": required field '" + field + "' is missing or not a number");
        }
        return config.get(field).asInt();
    }

    /**
     * Writes an attached adapter in PEFT's format (folder written atomically through a temporary sibling);
     * {@code use_dora} follows the adapter (all of its layers DoRA, or none).
     *
     * @param baseModel what {@code base_model_name_or_path} records
     */
    public static void save(
            Path folder, List<Linear> linears, String name, int rank, double alpha, boolean rsLora, String baseModel)
            throws IOException {
        Folders.writeAtomically(folder, dir -> writeFiles(dir, linears, name, rank, alpha, rsLora, baseModel));
    }

    /** Writes adapter_config.json and adapter_model.safetensors into an existing folder (a checkpoint being assembled). */
    public static void writeFiles(
            Path dir, List<Linear> linears, String name, int rank, double alpha, boolean rsLora, String baseModel)
            throws IOException {
        writeFiles(dir, linears, name, rank, alpha, rsLora, baseModel, "CAUSAL_LM", Map.of());
    }

    /**
     * Writes the adapter of a model with a task head, as PEFT saves it: {@code task_type} ({@code SEQ_CLS},
     * {@code FEATURE_EXTRACTION}) and the whole modules trained beside the adapter in {@code modules_to_save},
     * their tensors under {@code base_model.model.<name>}.
     *
     * @param saved tensors of the modules saved whole, by parameter name ({@code score.weight})
     */
    public static void writeFiles(
            Path dir,
            List<Linear> linears,
            String name,
            int rank,
            double alpha,
            boolean rsLora,
            String baseModel,
            String taskType,
            Map<String, NDArray> saved)
            throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        List<String> targets = new ArrayList<>();
        Boolean dora = null;
        boolean fanInFanOut = false;
        for (Linear l : linears) {
            LoraWeights w = l.adapter(name);
            if (w != null) {
                if (dora != null && dora != w.isDora()) {
                    throw new IllegalArgumentException("adapter '" + name + "' mixes DoRA and plain LoRA layers (at "
                            + l.name() + "); PEFT's use_dora is one flag per adapter");
                }
                dora = w.isDora();
                fanInFanOut |= l.fanInFanOut();
                tensors.put(PREFIX + l.name() + ".lora_A.weight", w.a());
                tensors.put(PREFIX + l.name() + ".lora_B.weight", w.b());
                if (w.isDora()) {
                    tensors.put(PREFIX + l.name() + MAGNITUDE_SUFFIX, w.magnitude());
                }
                String leaf = l.name().substring(l.name().lastIndexOf('.') + 1);
                if (!targets.contains(leaf)) {
                    targets.add(leaf);
                }
            }
        }
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("no layer has an adapter named '" + name + "'");
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("peft_type", "LORA");
        config.put("task_type", taskType);
        config.put("base_model_name_or_path", baseModel);
        config.put("r", rank);
        config.put("lora_alpha", alpha);
        config.put("lora_dropout", 0.0);
        config.put("use_rslora", rsLora);
        config.put("use_dora", dora);
        config.put("fan_in_fan_out", fanInFanOut); // GPT-2's Conv1D layers, as PEFT records them
        config.put("bias", "none");
        config.put("target_modules", targets);
        config.put("inference_mode", true);
        List<String> modules = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : saved.entrySet()) {
            tensors.put(PREFIX + e.getKey(), e.getValue().stopGradient());
            String module = e.getKey().substring(0, e.getKey().lastIndexOf('.'));
            if (!modules.contains(module)) {
                modules.add(module);
            }
        }
        config.put("modules_to_save", modules.isEmpty() ? null : modules);
        Files.writeString(dir.resolve(CONFIG_FILE), JSON.writeValueAsString(config));
        Safetensors.write(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"), "F32");
    }
}
