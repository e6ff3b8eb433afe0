/** A class in the default package. */
public final class Util {
    private Util() {
    }

    public static int twice(int x) {
        return x > 0 ? 2 * x : 0;
    }
}
