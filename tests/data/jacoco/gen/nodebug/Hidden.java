/** Compiled with -g:none: no source file name, no line numbers (counts only in class counters). */
public final class Hidden {
    private Hidden() {
    }

    public static int sign(int x) {
        if (x > 0) {
            return 1;
        }
        return x < 0 ? -1 : 0;
    }
}
