package dev.osprey.api.model;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.ProgressReporter;

/**
 * What to load, by ms-swift's argument names: immutable, built with {@code withX} methods from
 * {@link #of(String)}. New options arrive as new {@code withX} methods, so callers keep compiling.
 */
public final class ModelRequest {

    /** The {@code --torch_dtype} used when none is given. */
    public static final String DEFAULT_DTYPE = "float32";

    private final String model;
    private final String modelType;
    private final boolean useHf;
    private final String revision;
    private final String torchDtype;
    private final int quantBits;
    private final String quantType;
    private final Map<String, Path> adapters;
    private final boolean mergeAdapters;
    private final String template;
    private final DeviceId device;
    private final ProgressReporter progress;

    private ModelRequest(
            String model,
            String modelType,
            boolean useHf,
            String revision,
            String torchDtype,
            int quantBits,
            String quantType,
            Map<String, Path> adapters,
            boolean mergeAdapters,
            String template,
            DeviceId device,
            ProgressReporter progress) {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException(
                    "--model is missing: give a model folder or a hub id such as Qwen/Qwen3-0.6B");
        }
        if (quantBits != 0 && quantBits != 4 && quantBits != 8) {
            throw new IllegalArgumentException("--quant_bits must be 0, 4 or 8, was " + quantBits);
        }
        this.model = model;
        this.modelType = blankToNull(modelType);
        this.useHf = useHf;
        this.revision = blankToNull(revision);
        this.torchDtype = torchDtype == null || torchDtype.isBlank() ? DEFAULT_DTYPE : torchDtype;
        this.quantBits = quantBits;
        this.quantType = blankToNull(quantType);
        this.adapters = Collections.unmodifiableMap(new LinkedHashMap<>(adapters));
        this.mergeAdapters = mergeAdapters;
        this.template = blankToNull(template);
        this.device = Objects.requireNonNull(device, "device");
        this.progress = progress;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** A request for {@code model}: a folder, or a hub id; everything else at its default. */
    public static ModelRequest of(String model) {
        return new ModelRequest(
                model, null, false, null, DEFAULT_DTYPE, 0, null, Map.of(), false, null, DeviceId.CPU, null);
    }

    /** {@code --model}: a folder or a hub id. */
    public String model() {
        return model;
    }

    /** {@code --model_type}: the architecture to use instead of config.json's. */
    public Optional<String> modelType() {
        return Optional.ofNullable(modelType);
    }

    /** {@code --use_hf}: download from the Hugging Face hub rather than ModelScope. */
    public boolean useHf() {
        return useHf;
    }

    /** {@code --model_revision}: a hub branch, tag or commit. */
    public Optional<String> revision() {
        return Optional.ofNullable(revision);
    }

    /** {@code --torch_dtype}: float32 (default) or float16; bfloat16 checkpoints are widened to float32. */
    public String torchDtype() {
        return torchDtype;
    }

    /** {@code --quant_bits}: 4 or 8 to quantize the decoder's linear layers while loading (QLoRA's frozen base); 0: dense. */
    public int quantBits() {
        return quantBits;
    }

    /** {@code --quant_type} for {@link #quantBits()}: nf4, int4 or int8; empty for the default of the bit count. */
    public Optional<String> quantType() {
        return Optional.ofNullable(quantType);
    }

    /** {@code --adapters}: PEFT adapter folders by the name they are attached under, in order. */
    public Map<String, Path> adapters() {
        return adapters;
    }

    /** True to merge {@link #adapters()} into the weights ({@code --merge_lora}); false to attach them unmerged. */
    public boolean mergeAdapters() {
        return mergeAdapters;
    }

    /** {@code --template}: the chat template to use, above every other source (see {@link dev.osprey.api.chat.PromptEncoder}). */
    public Optional<String> template() {
        return Optional.ofNullable(template);
    }

    /** {@code --device}: where the weights live. */
    public DeviceId device() {
        return device;
    }

    /** Where downloads report their progress ({@code begin("download NAME", bytes)}, steps in bytes); empty for none. */
    public Optional<ProgressReporter> progress() {
        return Optional.ofNullable(progress);
    }

    public ModelRequest withModelType(String type) {
        return new ModelRequest(
                model,
                type,
                useHf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                template,
                device,
                progress);
    }

    public ModelRequest withUseHf(boolean hf) {
        return new ModelRequest(
                model,
                modelType,
                hf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                template,
                device,
                progress);
    }

    public ModelRequest withRevision(String rev) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                rev,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                template,
                device,
                progress);
    }

    public ModelRequest withTorchDtype(String dtype) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                dtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                template,
                device,
                progress);
    }

    /** @param bits 0 (dense), 4 or 8; @param type nf4, int4, int8, or null for the default of {@code bits} */
    public ModelRequest withQuantization(int bits, String type) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                torchDtype,
                bits,
                type,
                adapters,
                mergeAdapters,
                template,
                device,
                progress);
    }

    /** Adds one adapter folder, attached under {@code name} (or merged, see {@link #withMergeAdapters}). */
    public ModelRequest withAdapter(String name, Path folder) {
        Map<String, Path> more = new LinkedHashMap<>(adapters);
        if (more.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(folder, "folder")) != null) {
            throw new IllegalArgumentException("adapter name '" + name + "' is given twice");
        }
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                more,
                mergeAdapters,
                template,
                device,
                progress);
    }

    public ModelRequest withMergeAdapters(boolean merge) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                merge,
                template,
                device,
                progress);
    }

    public ModelRequest withTemplate(String name) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                name,
                device,
                progress);
    }

    public ModelRequest withDevice(DeviceId on) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                template,
                on,
                progress);
    }

    public ModelRequest withProgress(ProgressReporter reporter) {
        return new ModelRequest(
                model,
                modelType,
                useHf,
                revision,
                torchDtype,
                quantBits,
                quantType,
                adapters,
                mergeAdapters,
                template,
                device,
                reporter);
    }

    @Override
    public String toString() {
        return "ModelRequest[model=" + model + (modelType == null ? "" : ", model_type=" + modelType) + ", torch_dtype="
                + torchDtype
                + (quantBits == 0 ? "" : ", quant_bits=" + quantBits)
                + (adapters.isEmpty() ? "" : ", adapters=" + adapters + (mergeAdapters ? " merged" : ""))
                + (template == null ? "" : ", template=" + template) + ", device=" + device + "]";
    }
}
