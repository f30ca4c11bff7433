package dev.osprey.train.impl;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;
import dev.osprey.train.args.ArgumentSpecs;
import dev.osprey.train.loop.JobProgress;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.sft.PluginModels;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;

/**
 * Publishes the {@code sft} and {@code pt} training methods, so the platform's job runners (and anything
 * else that looks training methods up by name) reach the same engine as {@code osprey sft}.
 */
@Component(immediate = true)
public class SupervisedMethods {

    @Reference
    EngineRuntime engine;

    @Reference
    ExtensionRegistry extensions;

    @Reference
    ModelService modelService;

    /** What both stages take: SftArguments' arguments. */
    private static final List<ArgumentSpec> ARGUMENTS =
            ArgumentSpecs.describe(ArgumentSpecs.SUPERVISED_CHOICES, SftArguments.class);

    private final List<ServiceRegistration<TrainingMethod>> registrations = new ArrayList<>();

    @Activate
    void activate(BundleContext context) {
        for (SftArguments.Stage stage : SftArguments.Stage.values()) {
            Method method = new Method(stage);
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put("osprey.name", method.name());
            registrations.add(context.registerService(TrainingMethod.class, method, properties));
        }
    }

    @Deactivate
    void deactivate() {
        registrations.forEach(ServiceRegistration::unregister);
        registrations.clear();
    }

    /** One stage as a training method: its arguments are SftArguments' by ms-swift name. */
    private final class Method implements TrainingMethod {

        private final SftArguments.Stage stage;

        Method(SftArguments.Stage stage) {
            this.stage = stage;
        }

        @Override
        public String name() {
            return stage.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String description() {
            return stage == SftArguments.Stage.SFT
                    ? "supervised fine-tuning (LoRA, DoRA, QLoRA or full)"
                    : "pre-training on raw text";
        }

        @Override
        public List<ArgumentSpec> arguments() {
            return ARGUMENTS;
        }

        @Override
        public void validate(Arguments arguments) {
            SftArguments.fromMap(SftArguments.valuesOf(arguments), name() + " arguments")
                    .stage(stage)
                    .validate();
        }

        @Override
        public void train(JobContext job) throws Exception {
            SftArguments args = SftArguments.fromMap(SftArguments.valuesOf(job.arguments()), "job " + job.jobId())
                    .stage(stage)
                    .outputDir(job.outputDir())
                    .device(job.device().toString())
                    .validate();
            try (NDManager manager = engine.newManager(job.device());
                    PluginModels provider = new PluginModels(modelService, extensions, null)) {
                TrainingListener listener = new JobProgress(job);
                if (args.evalUseEvalscope()) {
                    listener = new CheckpointBenchmarks(listener, job, args);
                }
                SftJob.Result result = new SftJob(args, provider, listener).train(manager);
                if (result.plot() != null) {
                    job.progress().message("loss curves: " + result.plot().toAbsolutePath());
                }
            }
        }
    }
}
