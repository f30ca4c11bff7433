package dev.osprey.webui.impl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sections a form shows its arguments in, as ms-swift's web-ui groups them in its tabs (model, dataset,
 * hyper-parameters, LoRA, quantization, RLHF, GRPO, save, ...); an argument no section names goes to "other"
 * (ms-swift's "advanced"), so a plugin's new argument still appears.
 */
final class ArgumentGroups {

    static final String OTHER = "other";

    /** Section name to the arguments it holds, in the order the form shows them. */
    private static final Map<String, List<String>> SECTIONS = sections();

    private ArgumentGroups() {}

    private static Map<String, List<String>> sections() {
        Map<String, List<String>> s = new LinkedHashMap<>();
        s.put(
                "model",
                List.of(
                        "model",
                        "model_type",
                        "model_revision",
                        "adapters",
                        "ref_model",
                        "reward_model",
                        "use_hf",
                        "torch_dtype",
                        "template",
                        "agent_template",
                        "system",
                        "task_type",
                        "num_labels",
                        "problem_type",
                        "eval_url",
                        "device"));
        s.put(
                "dataset",
                List.of(
                        "dataset",
                        "val_dataset",
                        "dataset_args",
                        "split_dataset_ratio",
                        "columns",
                        "strict",
                        "streaming",
                        "shuffle_buffer_size",
                        "max_length",
                        "truncation_strategy",
                        "packing",
                        "loss_scale",
                        "eval_limit",
                        "quant_n_samples"));
        s.put(
                "hyper-parameters",
                List.of(
                        "train_type",
                        "per_device_train_batch_size",
                        "per_device_eval_batch_size",
                        "gradient_accumulation_steps",
                        "learning_rate",
                        "lr_scheduler_type",
                        "warmup_ratio",
                        "weight_decay",
                        "max_grad_norm",
                        "num_train_epochs",
                        "max_steps",
                        "seed",
                        "gradient_checkpointing",
                        "parallel",
                        "loss_type",
                        "eval_batch_size",
                        "eval_generation_config"));
        s.put(
                "lora",
                List.of(
                        "lora_rank",
                        "lora_alpha",
                        "lora_dropout",
                        "target_modules",
                        "use_rslora",
                        "use_dora",
                        "freeze_parameters",
                        "freeze_llm",
                        "freeze_vit",
                        "freeze_aligner"));
        s.put(
                "quantization",
                List.of("quant_bits", "bnb_4bit_quant_type", "quant_method", "group_size", "gguf_type", "save_dtype"));
        s.put(
                "rlhf",
                List.of(
                        "rlhf_type",
                        "beta",
                        "label_smoothing",
                        "rpo_alpha",
                        "simpo_gamma",
                        "cpo_alpha",
                        "desirable_weight",
                        "undesirable_weight",
                        "center_rewards_coefficient"));
        s.put(
                "grpo",
                List.of(
                        "reward_funcs",
                        "reward_weights",
                        "reward_timeout",
                        "reward_failure",
                        "num_generations",
                        "max_completion_length",
                        "temperature",
                        "top_p",
                        "top_k",
                        "epsilon",
                        "epsilon_high",
                        "scale_rewards"));
        s.put(
                "save",
                List.of(
                        "output_dir",
                        "eval_output_dir",
                        "logging_steps",
                        "eval_steps",
                        "save_steps",
                        "save_total_limit",
                        "resume_from_checkpoint",
                        "merge_lora",
                        "to_ollama"));
        return s;
    }

    /** The sections in the order to show them, "other" last. */
    static List<String> order() {
        List<String> order = new java.util.ArrayList<>(SECTIONS.keySet());
        order.add(OTHER);
        return order;
    }

    /** The section of the argument {@code name}. */
    static String of(String name) {
        for (Map.Entry<String, List<String>> section : SECTIONS.entrySet()) {
            if (section.getValue().contains(name)) {
                return section.getKey();
            }
        }
        return OTHER;
    }
}
