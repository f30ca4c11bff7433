package dev.osprey.media;

/**
 * The text PaliGemmaProcessor hands its tokenizer: the prefix (image tokens, BOS, the prompt, "\n"; token type 0,
 * attended both ways by the model) and the suffix (the answer and EOS; token type 1, the labels).
 *
 * @param prefix the prefix text
 * @param suffix the suffix text, or null without one
 */
public record PaliGemmaPrompt(String prefix, String suffix) {

    /** PaliGemma's image placeholder. */
    public static final String IMAGE_TOKEN = "<image>";

    /**
     * As PaliGemmaProcessor builds it: a prompt without {@code <image>} gets {@code imageSeqLength · images} of them
     * in front, then BOS; a prompt with {@code <image>}s has each expanded to {@code imageSeqLength} and BOS put after
     * the last; either ends with "\n".
     *
     * @param prompt the prompt
     * @param images the prompt's images
     * @param suffix the answer, or null
     */
    public static PaliGemmaPrompt of(
            String prompt, int images, int imageSeqLength, String bos, String suffix, String eos) {
        String prefix;
        if (!prompt.contains(IMAGE_TOKEN)) {
            prefix = IMAGE_TOKEN.repeat(imageSeqLength * images) + bos + prompt + "\n";
        } else {
            String expanded = prompt.replace(IMAGE_TOKEN, IMAGE_TOKEN.repeat(imageSeqLength));
            int last = expanded.lastIndexOf(IMAGE_TOKEN);
            int at = last + IMAGE_TOKEN.length();
            prefix = expanded.substring(0, at) + bos + expanded.substring(at) + "\n";
        }
        return new PaliGemmaPrompt(prefix, suffix == null ? null : suffix + eos);
    }
}
