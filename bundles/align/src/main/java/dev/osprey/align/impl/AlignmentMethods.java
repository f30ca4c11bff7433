package dev.osprey.align.impl;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDManager;

import dev.osprey.align.loss.GroupAdvantages;
import dev.osprey.align.reward.RewardFailurePolicy;
import dev.osprey.align.rlhf.RlhfArguments;
import dev.osprey.align.rlhf.RlhfJob;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.train.TrainingMethod;
import dev.osprey.train.args.ArgumentSpecs;
import dev.osprey.train.loop.JobProgress;
import dev.osprey.train.sft.PluginModels;
import dev.osprey.train.sft.SftArguments;

/**
 * Publishes the alignment training methods ({@code dpo}, {@code kto}, {@code simpo}, {@code orpo},
 * {@code cpo}, {@code rm}, {@code grpo}), so job runners reach the engine of {@code osprey rlhf} by name.
 * A job's rewards are taken through its {@link JobContext}, which holds them for the job's length.
 */
@Component(immediate = true)
public class AlignmentMethods {

    static final List<String> METHODS = List.of("dpo", "kto", "simpo", "orpo", "cpo", "rm", "grpo");

    /** What every alignment method takes: SftArguments' arguments, then RlhfArguments' own. */
    private static final List<ArgumentSpec> ARGUMENTS =
            ArgumentSpecs.describe(choices(), SftArguments.class, RlhfArguments.class);

    @Reference
    EngineRuntime engine;

    @Reference
    ExtensionRegistry extensions;

    @Reference
    ModelService modelService;

    private final List<ServiceRegistration<TrainingMethod>> registrations = new ArrayList<>();

    @Activate
    void activate(BundleContext context) {
        for (String name : METHODS) {
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put("osprey.name", name);
            registrations.add(context.registerService(TrainingMethod.class, new Method(name), properties));
        }
    }

    private static Map<String, List<String>> choices() {
        Map<String, List<String>> choices = new LinkedHashMap<>(ArgumentSpecs.SUPERVISED_CHOICES);
        choices.put("rlhf_type", METHODS);
        choices.put("scale_rewards", ArgumentSpecs.names(GroupAdvantages.ScaleRewards.values()));
        choices.put("reward_failure", ArgumentSpecs.names(RewardFailurePolicy.values()));
        return choices;
    }

    @Deactivate
    void deactivate() {
        registrations.forEach(ServiceRegistration::unregister);
        registrations.clear();
    }

    /** One alignment method: its arguments are RlhfArguments' and SftArguments' by ms-swift name. */
    private final class Method implements TrainingMethod {

        private final String name;

        Method(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "alignment: " + name + " (osprey rlhf --rlhf_type " + name + ")";
        }

        @Override
        public List<ArgumentSpec> arguments() {
            return ARGUMENTS;
        }

        private RlhfArguments arguments(Arguments arguments, String source) {
            Map<String, Object> values = new LinkedHashMap<>(SftArguments.valuesOf(arguments));
            values.put("rlhf_type", name);
            return RlhfArguments.fromMap(values, source);
        }

        @Override
        public void validate(Arguments arguments) {
            arguments(arguments, name + " arguments").validate();
        }

        @Override
        public void train(JobContext job) throws Exception {
            RlhfArguments args = arguments(job.arguments(), "job " + job.jobId());
            args.common().outputDir(job.outputDir()).device(job.device().toString());
            args.validate();
            try (NDManager manager = engine.newManager(job.device());
                    PluginModels provider = new PluginModels(modelService, extensions, null)) {
                RlhfJob.Result result = new RlhfJob(
                                args,
                                provider,
                                reward -> job.extension(RewardFunction.class, reward),
                                new JobProgress(job))
                        .train(manager);
                if (result.plot() != null) {
                    job.progress().message("loss curves: " + result.plot().toAbsolutePath());
                }
            }
        }
    }
}
