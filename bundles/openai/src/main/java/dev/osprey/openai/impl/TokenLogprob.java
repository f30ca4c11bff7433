package dev.osprey.openai.impl;

import java.util.Map;

/**
 * One generated token with its log probability and the alternatives, as the response formats need it.
 *
 * @param token the token's text
 * @param logprob its log probability, or NaN when the backend gave none
 * @param top the alternatives (token text to log probability), empty when none were asked for
 */
record TokenLogprob(String token, double logprob, Map<String, Double> top) {}
