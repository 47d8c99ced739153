// Runs several Kafka CLI tools (AclCommand, ConfigCommand, ...) in ONE JVM: start-up, not the work, is what is
// slow. Read by kinerja-local (kafka_security.py) with the Java source launcher: `java -cp <libs>/* ToolBatch.java`.
// stdin: one command per line, tab-separated, the tool's main class first (arguments, passwords included, never
// appear on a command line). stdout: each tool's own output between "@@kinerja-tool <n> <class>" and
// "@@kinerja-tool-exit <n> <code>" lines. Exit code 0 only if every tool succeeded.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.utils.internals.Exit;

public class ToolBatch {
    /** The tools call Exit.exit(code) on errors (and some on success): turn that into an exception. */
    static final class ExitCalled extends RuntimeException {
        final int code;

        ExitCalled(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    public static void main(String[] argv) throws Exception {
        Exit.setExitProcedure((code, message) -> {
            throw new ExitCalled(code, message);
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int failed = 0;
        String line;
        for (int n = 0; (line = in.readLine()) != null; n++) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            System.out.println("@@kinerja-tool " + n + " " + f[0]);
            int code = 0;
            try {
                Class.forName(f[0]).getMethod("main", String[].class)
                        .invoke(null, (Object) Arrays.copyOfRange(f, 1, f.length));
            } catch (InvocationTargetException e) {
                Throwable t = e.getCause();
                if (t instanceof ExitCalled) {
                    code = ((ExitCalled) t).code;
                } else {
                    System.out.println(t);
                    code = 1;
                }
            }
            System.out.println("@@kinerja-tool-exit " + n + " " + code);
            System.out.flush();
            if (code != 0) failed++;
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
