package dev.osprey.webui.impl;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.osprey.api.http.ErrorBody;

import jakarta.servlet.http.HttpServletResponse;

/** JSON answers and OpenAI's error object, as {@code /api/jobs} sends them. */
final class Json {

    /** An option as the training methods' errors name it: {@code --lora_rank}, or {@code 'lora_rank'} after "for". */
    private static final Pattern OPTION = Pattern.compile("--([a-z_0-9]+)|for '([a-z_0-9]+)'");

    /** A refusal with its HTTP status and the request field at fault. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String param;

        Refusal(int status, String param, String message) {
            super(message);
            this.status = status;
            this.param = param;
        }
    }

    private Json() {}

    static void send(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = TrainFormServlet.JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    static void error(HttpServletResponse response, int status, String param, String message) throws IOException {
        send(response, status, ErrorBody.of(status, param, message));
    }

    /** The argument an error message names ({@code --lora_rank must be ...}), as {@code arguments.NAME}. */
    static String fieldOf(String message) {
        if (message == null) {
            return "arguments";
        }
        Matcher option = OPTION.matcher(message);
        return option.find()
                ? "arguments." + (option.group(1) != null ? option.group(1) : option.group(2))
                : "arguments";
    }
}
