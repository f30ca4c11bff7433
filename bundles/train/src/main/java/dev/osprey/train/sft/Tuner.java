package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.model.spi.AdaptableLinears;
import dev.osprey.train.loop.TrainingListener;

/**
 * The tuner of a training run, shared by supervised fine-tuning and alignment: LoRA (rsLoRA, DoRA,
 * dropout) over a dense or quantized (QLoRA) base, or full tuning with {@code --freeze_parameters}; from a
 * checkpoint when {@code --resume_from_checkpoint} is given.
 */
public final class Tuner {

    private Tuner() {}

    /**
     * Prepares {@code model} for training as {@code args} say and returns the arrays to train, by stable
     * names (the optimizer state is keyed by them).
     *
     * @param adapterName the name the LoRA adapter gets on the model
     */
    public static Map<String, NDArray> setUp(
            LanguageModel model, SftArguments args, String adapterName, NDManager manager, TrainingListener listener)
            throws IOException {
        Map<String, NDArray> trainable = new LinkedHashMap<>();
        Path resume = args.resumeFromCheckpoint();
        if (args.trainType().equals("lora")) {
            List<Linear> linears = LoraMerge.linearsOf(model); // names the architecture when it declares none
            if (args.quantBits() > 0) {
                // QLoRA: the frozen base weights are stored in 4 or 8 bits and dequantized layer by layer
                // (a provider may have quantized them while loading already)
                if (linears.stream().noneMatch(l -> l.quantization().isPresent())) {
                    ModelLoader.quantize(model, QuantSpec.of(args.quantBits(), args.quantType()));
                }
                long layers = linears.stream()
                        .filter(l -> l.quantization().isPresent())
                        .count();
                listener.message("quantized " + layers + " linear layers to " + args.quantBits() + " bits ("
                        + (args.quantBits() == 4 ? args.quantType() : "int8") + ")");
            }
            if (resume != null) {
                PeftAdapter.attach(resume, linears, adapterName, manager, model::checkpointKey);
            } else {
                new LoraConfig(
                                args.loraRank(),
                                args.loraAlpha(),
                                new LinkedHashSet<>(args.targetModules()),
                                args.useRslora(),
                                args.useDora())
                        .attach(loraTargets(model, linears, args), adapterName, manager, args.seed());
            }
            LoraConfig.setDropout(linears, adapterName, args.loraDropout());
            trainable.putAll(LoraConfig.trainable(linears, adapterName));
        } else {
            refuseQuantizedBase(model, args);
            if (resume != null) {
                ModelLoader.loadWeights(
                        model,
                        WeightFiles.open(resume),
                        manager,
                        model.parameters().values().iterator().next().getDataType());
            }
            List<String> frozen = new ArrayList<>();
            model.parameters().forEach((name, array) -> {
                if (args.freezeParameters().stream().anyMatch(name::startsWith) || frozenModule(model, name, args)) {
                    frozen.add(name);
                } else {
                    array.setRequiresGradient(true);
                    trainable.put(name, array);
                }
            });
            if (!frozen.isEmpty() && model.multimodalKeys().isPresent()) {
                listener.message("froze " + frozen.size() + " parameters (--freeze_llm " + args.freezeLlm()
                        + ", --freeze_vit " + args.freezeVit() + ", --freeze_aligner " + args.freezeAligner()
                        + (args.freezeParameters().isEmpty() ? "" : ", --freeze_parameters") + ")");
            }
            if (!args.freezeParameters().isEmpty() && frozen.isEmpty()) {
                throw new IllegalArgumentException("--freeze_parameters " + args.freezeParameters()
                        + " matches no parameter; names look like "
                        + model.parameters().keySet().stream().limit(3).toList());
            }
            if (trainable.isEmpty()) {
                throw new IllegalArgumentException(
                        "--freeze_parameters " + args.freezeParameters() + " freezes every parameter");
            }
        }
        return trainable;
    }

    /**
     * Full fine-tuning trains parameters, and the linears a GPTQ or AWQ checkpoint holds as codes are none: they
     * would stay frozen while the rest trained. As ms-swift and PEFT, such a base takes adapters only.
     */
    private static void refuseQuantizedBase(LanguageModel model, SftArguments args) {
        if (!(model instanceof AdaptableLinears adaptable)) {
            return; // declares no linears, so holds none quantized
        }
        long quantized = adaptable.adaptableLinears().stream()
                .filter(p -> p instanceof Linear l && l.quantization().isPresent())
                .count();
        if (quantized > 0) {
            throw new IllegalArgumentException("--train_type " + args.trainType() + ": " + args.model() + " holds "
                    + quantized + " linear layers as quantized codes (its quantization_config), which full "
                    + "fine-tuning cannot train; use --train_type lora on it, or train its dense original");
        }
    }

    /**
     * ms-swift's {@code --vit_lr} and {@code --aligner_lr} (its multimodal optimizer's parameter groups): the
     * learning rate of each trainable array of the vision tower or the aligner (a parameter, or a LoRA array of one
     * of their linears) over {@code --learning_rate}, which the schedule then scales as it scales the rest. Arrays at
     * {@code --learning_rate} are left out, and so is every array of a text model.
     */
    public static Map<String, Double> learningRateScales(
            LanguageModel model, Set<String> trainable, SftArguments args) {
        if (args.vitLr() == null && args.alignerLr() == null) {
            return Map.of();
        }
        MultimodalKeys keys = model.multimodalKeys().orElse(null);
        if (keys == null) {
            return Map.of(); // a text model has neither, as it ignores --freeze_vit
        }
        Map<String, Double> scales = new LinkedHashMap<>();
        for (String name : trainable) {
            String parameter = name.replaceFirst("\\.(lora_A|lora_B|lora_magnitude_vector)$", ".weight");
            Double lr = keys.moduleOf(parameter)
                    .map(module -> switch (module) {
                        case MultimodalKeys.VISION_TOWER -> args.vitLr();
                        case MultimodalKeys.ALIGNER -> args.alignerLr();
                        default -> null;
                    })
                    .orElse(null);
            if (lr != null) {
                scales.put(name, lr / args.learningRate());
            }
        }
        return scales;
    }

    /**
     * Whether a multimodal model's parameter lies in a module ms-swift's {@code --freeze_llm}, {@code --freeze_vit}
     * or {@code --freeze_aligner} freezes (by the model's {@code MultimodalKeys}); never for a text model.
     */
    static boolean frozenModule(LanguageModel model, String parameter, SftArguments args) {
        return model.multimodalKeys()
                .flatMap(keys -> keys.moduleOf(parameter))
                .map(module -> switch (module) {
                    case MultimodalKeys.LANGUAGE_MODEL -> args.freezeLlm();
                    case MultimodalKeys.VISION_TOWER -> args.freezeVit();
                    case MultimodalKeys.ALIGNER -> args.freezeAligner();
                    default -> false;
                })
                .orElse(false);
    }

    /**
     * The linears LoRA may target: with {@code --target_modules all-linear} on a multimodal model, those of the
     * modules not frozen (ms-swift's {@code get_multimodal_target_regex}: by default the language model's only);
     * named target modules, and text models, keep every linear.
     */
    static List<Linear> loraTargets(LanguageModel model, List<Linear> linears, SftArguments args) {
        if (model.multimodalKeys().isEmpty() || !args.targetModules().contains(LoraConfig.ALL_LINEAR)) {
            return linears;
        }
        List<Linear> open = linears.stream()
                .filter(l -> !frozenModule(model, l.weight().name(), args))
                .toList();
        if (open.isEmpty()) {
            throw new IllegalArgumentException("--target_modules all-linear with --freeze_llm " + args.freezeLlm()
                    + ", --freeze_vit " + args.freezeVit() + " and --freeze_aligner " + args.freezeAligner()
                    + " leaves no linear layer to adapt");
        }
        return open;
    }
}
