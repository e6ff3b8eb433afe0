package com.example.shapes;

/** Code under test: branches, a lambda, an untested method, a nested class. */
public final class Shapes {
    private Shapes() {
    }

    public static String classify(int sides) {
        if (sides < 3) {
            return "none";
        } else if (sides == 3) {
            return "triangle";
        }
        switch (sides) {
            case 4:
                return "quad";
            case 5:
                return "pentagon";
            default:
                return sides > 8 ? "many" : "some";
        }
    }

    public static int perimeter(int[] lengths) {
        int sum = 0;
        for (int length : lengths) {
            if (length < 0 || length > 1000) {
                throw new IllegalArgumentException("bad length " + length);
            }
            sum += length;
        }
        return sum;
    }

    public static double area(double w, double h) {
        return w * h;
    }

    public static final class Circle {
        private final double r;

        public Circle(double r) {
            this.r = r;
        }

        public double area() {
            return Math.PI * r * r;
        }
    }
}
