package org.pkilab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pkilab.pki.KeyFiles;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The command line's side of the console {@code pkilab up} runs for its computers
 * ({@code org.pkilab.lab.LabControl}): which lab (its data folder's {@value #CONTROL_FILE}, or the URL and
 * token it printed), one JSON call over HTTP with the token, and the base of the verbs that use it
 * ({@code pkilab host ...}, {@code pkilab clock ...}, {@code pkilab dc ...}); {@code pkilab audit} reads the DC's registry
 * through it when it is given a lab.
 */
public final class LabControlClient {

    static final String CONTROL_FILE = "control.properties";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Which running lab: its data folder, or the console URL and token {@code pkilab up} printed. */
    public static final class Connection {
        @Option(names = "--data", paramLabel = "DIR", description = "The data folder of the running lab (reads its " + CONTROL_FILE + ").")
        Path data;

        @Option(names = "--control", paramLabel = "URL", defaultValue = "${env:PKILAB_CONTROL}",
                description = "The lab console URL pkilab up printed (default: $PKILAB_CONTROL).")
        String url;

        @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:PKILAB_TOKEN}",
                description = "The console token pkilab up printed (default: $PKILAB_TOKEN).")
        String token;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        /** Whether a lab was named: a data folder, or a console URL and token (given or from the environment). */
        public boolean given() {
            return data != null || (url != null && !url.isBlank() && token != null && !token.isBlank());
        }

        /**
         * One JSON request to the console; its answer.
         *
         * @throws Failure the lab's refusal, or no lab answering
         */
        public JsonNode call(String method, String path, ObjectNode body) {
            resolve();
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(2))
                    .header("Authorization", "Bearer " + token);
            request = body == null ? request.GET() : request.POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                    .header("Content-Type", "application/json");
            HttpResponse<String> response;
            try {
                response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new Failure("no lab answers at " + url + " (" + e + "); is 'pkilab up' still running?");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted");
            }
            JsonNode answer;
            try {
                answer = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new Failure(url + " is not a PKI Lab console (HTTP " + response.statusCode() + ")");
            }
            if (response.statusCode() != 200) {
                throw new Failure(answer.path("error").asText("HTTP " + response.statusCode()));
            }
            return answer;
        }

        private void resolve() {
            if (data != null) {
                Path file = data.resolve(CONTROL_FILE);
                if (!Files.exists(file)) {
                    throw new Failure("no running lab on " + data.toAbsolutePath() + " (" + file + " is written by 'pkilab up --data "
                            + data + "' while it runs)");
                }
                Properties props;
                try {
                    props = KeyFiles.loadProperties(file);
                } catch (IOException e) {
                    throw new Failure("cannot read " + file + ": " + e.getMessage());
                }
                url = props.getProperty("url");
                token = props.getProperty("token");
            }
            if (url == null || url.isBlank() || token == null || token.isBlank()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "which lab? give --data DIR of a running 'pkilab up', or --control URL and --token TOKEN as it printed them");
            }
        }
    }

    /** A refusal or failure the user reads; exit code 1. */
    public static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /** A verb sent to the running lab's console; a {@link Failure} is printed as {@code pkilab: ...} with exit code 1. */
    abstract static class Verb implements Callable<Integer> {
        @Mixin
        Connection console;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                run(out);
                return 0;
            } catch (Failure e) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("pkilab: " + e.getMessage());
                err.flush();
                return 1;
            } finally {
                out.flush();
            }
        }

        abstract void run(PrintWriter out);
    }
}
