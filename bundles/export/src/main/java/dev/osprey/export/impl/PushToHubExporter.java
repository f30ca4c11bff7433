package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.HuggingFacePush;
import dev.osprey.hub.ModelLocator;
import dev.osprey.hub.ModelScopePush;
import dev.osprey.hub.PushRequest;
import dev.osprey.hub.PushResult;
import dev.osprey.hub.TerminalProgressBar;

/**
 * {@code push_to_hub}: as {@code swift export --push_to_hub true}, uploads a folder to ModelScope (the default) or,
 * with {@code --use_hf true}, to Hugging Face, as {@code --hub_model_id}, with {@code --hub_token} (else {@code
 * MODELSCOPE_API_TOKEN} / {@code HF_TOKEN}), {@code --hub_private_repo} and {@code --commit_message}. What is pushed is
 * ms-swift's choice: with {@code --merge_lora}, {@code --quant_method} or {@code --to_ollama} the folder that exporter
 * writes first (run here, in the same job); else the first of {@code --adapters}; else the {@code --model} folder. The
 * job's result is the folder pushed.
 */
@Component(service = Exporter.class)
public class PushToHubExporter implements Exporter {

    static final String NAME = "push_to_hub";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "upload a model folder (or what another exporter writes first) to ModelScope or Hugging Face";
    }

    @Override
    public Path export(JobContext job) throws Exception {
        Arguments args = job.arguments();
        String repo = args.getString("hub_model_id")
                .orElseThrow(() -> new IllegalArgumentException(
                        "--push_to_hub needs --hub_model_id OWNER/NAME, the repository to push to"));
        boolean useHf = args.getBoolean("use_hf", false);
        HubOptions options = HubOptions.fromEnvironment(useHf);
        String token = args.getString("hub_token").orElse(null);
        if (token != null && !token.isBlank()) {
            options = options.withToken(token);
        }
        Path folder = folderToPush(job, options);
        PushRequest request = new PushRequest(
                repo,
                folder,
                args.getBoolean("hub_private_repo", false),
                args.getString("commit_message", PushRequest.DEFAULT_COMMIT_MESSAGE),
                null);
        String hub = useHf ? "Hugging Face" : "ModelScope";
        job.progress().message("pushing " + folder + " to " + hub + " as " + repo);
        UploadProgress progress = new UploadProgress(job.progress(), totalBytes(folder));
        PushResult result = useHf
                ? new HuggingFacePush(options, progress).push(request)
                : new ModelScopePush(options, progress).push(request);
        job.progress()
                .message("pushed " + result.files() + " files to " + result.url() + " (" + result.lfsFiles()
                        + " through LFS, " + result.lfsAlreadyThere() + " of them already on the hub; "
                        + TerminalProgressBar.bytes(result.bytesSent()) + " sent)");
        return folder;
    }

    /** ms-swift's choice of what to push: another exporter's output, the first adapter, or the model folder. */
    private static Path folderToPush(JobContext job, HubOptions options) throws Exception {
        Arguments args = job.arguments();
        String first = args.getString("quant_method").orElse(null);
        if (first == null && args.getBoolean("merge_lora", false)) {
            first = MergeLoraExporter.NAME;
        } else if (first == null && args.getBoolean("to_ollama", false)) {
            first = OllamaExporter.NAME;
        }
        if (NAME.equals(first)) {
            throw new IllegalArgumentException("--quant_method " + NAME + " is not a quantization method");
        }
        if (first != null) {
            // the handle is closed by the platform when the job ends
            Path written = job.extension(Exporter.class, first).get().export(job);
            return Files.isDirectory(written)
                    ? written
                    : written.toAbsolutePath().getParent();
        }
        List<String> adapters = args.getList("adapters");
        if (!adapters.isEmpty()) {
            return existingFolder(Path.of(adapters.get(0)), "--adapters");
        }
        String model = args.getString("model")
                .or(() -> args.getString("model_name_or_path"))
                .orElseThrow(() -> new IllegalArgumentException(
                        "--push_to_hub needs a folder to push: --model DIR (or a cached hub id), --adapters DIR, or"
                                + " --merge_lora / --quant_method to export one first"));
        Path local = Path.of(model);
        if (Files.isDirectory(local)) {
            return local.toAbsolutePath();
        }
        return new ModelLocator(
                        options.withRevision(args.getString("model_revision").orElse(null)))
                .locate(model);
    }

    private static Path existingFolder(Path p, String option) {
        if (!Files.isDirectory(p)) {
            throw new IllegalArgumentException(option + " " + p + " is not a folder");
        }
        return p.toAbsolutePath();
    }

    /** The bytes the push will go through: the folder's files but for .git and .cache, which are not uploaded. */
    private static long totalBytes(Path folder) throws IOException {
        try (var walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !folder.relativize(p).toString().matches("(.*/)?\\.(git|cache)/.*"))
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }
}
