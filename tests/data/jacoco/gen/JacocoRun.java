import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.jacoco.core.analysis.Analyzer;
import org.jacoco.core.analysis.CoverageBuilder;
import org.jacoco.core.analysis.IBundleCoverage;
import org.jacoco.core.data.ExecutionDataStore;
import org.jacoco.core.data.SessionInfoStore;
import org.jacoco.core.instr.Instrumenter;
import org.jacoco.core.runtime.IRuntime;
import org.jacoco.core.runtime.LoggerRuntime;
import org.jacoco.core.runtime.RuntimeData;
import org.jacoco.report.DirectorySourceFileLocator;
import org.jacoco.report.FileMultiReportOutput;
import org.jacoco.report.IReportVisitor;
import org.jacoco.report.html.HTMLFormatter;
import org.jacoco.report.xml.XMLFormatter;

/**
 * JaCoCo's "core API" flow (as in its CoreTutorial example): instrument the compiled classes in
 * memory, run Main, collect the execution data, analyse the original classes and write the XML
 * and HTML reports with JaCoCo's own formatters. Usage: JacocoRun CLASSES_DIR SRC_DIR OUT_DIR
 */
public final class JacocoRun {
    static final class MemoryClassLoader extends ClassLoader {
        private final Map<String, byte[]> definitions = new HashMap<>();

        MemoryClassLoader() {
            super(JacocoRun.class.getClassLoader());
        }

        void add(String name, byte[] bytes) {
            definitions.put(name, bytes);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            byte[] bytes = definitions.get(name);
            if (bytes != null) {
                synchronized (getClassLoadingLock(name)) {
                    Class<?> c = findLoadedClass(name);
                    if (c == null) {
                        c = defineClass(name, bytes, 0, bytes.length);
                    }
                    return c;
                }
            }
            return super.loadClass(name, resolve);
        }
    }

    public static void main(String[] args) throws Exception {
        Path classes = Path.of(args[0]);
        File src = new File(args[1]);
        File out = new File(args[2]);
        List<Path> files;
        try (var walk = Files.walk(classes)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).sorted().collect(Collectors.toList());
        }
        IRuntime runtime = new LoggerRuntime();
        Instrumenter instr = new Instrumenter(runtime);
        RuntimeData data = new RuntimeData();
        runtime.startup(data);
        MemoryClassLoader loader = new MemoryClassLoader();
        for (Path p : files) {
            String name = classes.relativize(p).toString().replace(File.separatorChar, '.');
            name = name.substring(0, name.length() - ".class".length());
            try (InputStream in = new FileInputStream(p.toFile())) {
                loader.add(name, instr.instrument(in, name));
            }
        }
        Class<?> main = loader.loadClass("com.example.Main");
        Method m = main.getMethod("main", String[].class);
        m.invoke(null, (Object) new String[0]);

        ExecutionDataStore exec = new ExecutionDataStore();
        SessionInfoStore sessions = new SessionInfoStore();
        data.collect(exec, sessions, false);
        runtime.shutdown();

        CoverageBuilder builder = new CoverageBuilder();
        Analyzer analyzer = new Analyzer(exec, builder);
        for (Path p : files) {
            try (InputStream in = new FileInputStream(p.toFile())) {
                analyzer.analyzeClass(in, p.toString());
            }
        }
        IBundleCoverage bundle = builder.getBundle("shapes");
        out.mkdirs();
        try (FileOutputStream xml = new FileOutputStream(new File(out, "jacoco.xml"))) {
            IReportVisitor v = new XMLFormatter().createVisitor(xml);
            v.visitInfo(sessions.getInfos(), exec.getContents());
            v.visitBundle(bundle, new DirectorySourceFileLocator(src, "utf-8", 4));
            v.visitEnd();
        }
        IReportVisitor html = new HTMLFormatter().createVisitor(new FileMultiReportOutput(new File(out, "html")));
        html.visitInfo(sessions.getInfos(), exec.getContents());
        html.visitBundle(bundle, new DirectorySourceFileLocator(src, "utf-8", 4));
        html.visitEnd();
    }
}
