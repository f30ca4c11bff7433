package dev.osprey.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.media.impl.ProcessorConfig;

/**
 * The image processor a model folder's {@code preprocessor_config.json} names, by its
 * {@code image_processor_type} (a {@code …Fast} suffix from transformers 4 is the same processor), else
 * by its {@code processor_class}: Qwen2-VL, Qwen2.5-VL and Qwen3-VL, CLIP (LLaVA), SigLIP (PaliGemma).
 */
public final class ImageProcessors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageProcessors() {}

    /** The processor of a model folder (its {@code preprocessor_config.json}). */
    public static ImageProcessor forModel(Path modelFolder) {
        return fromFile(modelFolder.resolve("preprocessor_config.json"));
    }

    /**
     * The Qwen2-VL video processor of a model folder: {@code video_preprocessor_config.json} where the folder has
     * one, else {@code preprocessor_config.json} read with the video processor's defaults for missing fields
     * (as transformers' {@code AutoVideoProcessor} falls back to it).
     */
    public static Qwen2VlImageProcessor videoForModel(Path modelFolder) {
        Path video = modelFolder.resolve("video_preprocessor_config.json");
        Path config = Files.exists(video) ? video : modelFolder.resolve("preprocessor_config.json");
        String json;
        try {
            json = Files.readString(config);
        } catch (NoSuchFileException e) {
            throw new MediaException(config + ": not found (a Qwen-VL model folder has one)");
        } catch (IOException e) {
            throw new MediaException(config + ": cannot read: " + e.getMessage(), e);
        }
        ProcessorConfig parsed = new ProcessorConfig(parse(json, config.toString()), config.toString());
        String kind = kind(parsed);
        if (kind.equals("Qwen3VLVideoProcessor")) { // its defaults: 32-pixel merged patches
            return new Qwen2VlImageProcessor(Qwen2VlImageProcessor.config(parsed, 128 * 32 * 32, 32 * 32 * 768));
        }
        if (!kind.equals("Qwen2VLImageProcessor") && !kind.equals("Qwen2VLVideoProcessor")) {
            throw new MediaException(
                    config + ": video needs a Qwen2-VL or Qwen3-VL processor, this names '" + kind + "'");
        }
        return new Qwen2VlImageProcessor(Qwen2VlImageProcessor.config(parsed, 128 * 28 * 28, 28 * 28 * 768));
    }

    public static ImageProcessor fromFile(Path preprocessorConfig) {
        try {
            return fromJson(Files.readString(preprocessorConfig), preprocessorConfig.toString());
        } catch (NoSuchFileException e) {
            throw new MediaException(preprocessorConfig + ": not found (a multimodal model folder has one)");
        } catch (IOException e) {
            throw new MediaException(preprocessorConfig + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** @param source what error messages call the JSON, e.g. its path */
    public static ImageProcessor fromJson(String json, String source) {
        ProcessorConfig config = new ProcessorConfig(parse(json, source), source);
        String type = kind(config);
        return switch (type) {
            case "Qwen2VLImageProcessor" ->
                new Qwen2VlImageProcessor(Qwen2VlImageProcessor.config(config, 56 * 56, 28 * 28 * 1280));
            case "Qwen2VLVideoProcessor" ->
                new Qwen2VlImageProcessor(Qwen2VlImageProcessor.config(config, 128 * 28 * 28, 28 * 28 * 768));
            case "CLIPImageProcessor" -> new ClipImageProcessor(ClipImageProcessor.config(config, type, false));
            case "SiglipImageProcessor" -> new ClipImageProcessor(ClipImageProcessor.config(config, type, true));
            case "GotOcr2ImageProcessor" -> new GotOcr2ImageProcessor(GotOcr2ImageProcessor.config(config));
            case "Gemma3ImageProcessor" -> new Gemma3ImageProcessor(Gemma3ImageProcessor.config(config));
            case "PixtralImageProcessor" -> new PixtralImageProcessor(PixtralImageProcessor.config(config));
            case "LlavaNextImageProcessor" -> LlavaNextImageProcessor.of(config);
            case "LlavaOnevisionImageProcessor" -> LlavaNextImageProcessor.oneVision(config);
            default ->
                throw new MediaException(source + ": image processor '" + type
                        + "' is not supported (Qwen2VLImageProcessor, CLIPImageProcessor, SiglipImageProcessor,"
                        + " GotOcr2ImageProcessor, Gemma3ImageProcessor, PixtralImageProcessor, LlavaNextImageProcessor and"
                        + " LlavaOnevisionImageProcessor are)");
        };
    }

    private static JsonNode parse(String json, String source) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new MediaException(source + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String kind(ProcessorConfig config) {
        String type = config.text("image_processor_type");
        if (type == null) {
            type = config.text("video_processor_type");
        }
        if (type != null) {
            return type.endsWith("Fast") ? type.substring(0, type.length() - 4) : type;
        }
        String processor = config.text("processor_class");
        if (processor == null) {
            throw new MediaException(config.source() + ": names neither image_processor_type nor processor_class");
        }
        return switch (processor) {
            case "Qwen2VLProcessor", "Qwen2_5_VLProcessor", "Qwen3VLProcessor", "Qwen3VLMoeProcessor" ->
                "Qwen2VLImageProcessor";
            case "LlavaProcessor", "CLIPProcessor" -> "CLIPImageProcessor";
            case "PaliGemmaProcessor", "SiglipProcessor" -> "SiglipImageProcessor";
            case "PixtralProcessor" -> "PixtralImageProcessor";
            case "LlavaNextProcessor" -> "LlavaNextImageProcessor";
            case "LlavaOnevisionProcessor" -> "LlavaOnevisionImageProcessor";
            default -> processor;
        };
    }
}
