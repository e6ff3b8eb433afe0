package com.example;

import com.example.shapes.Shapes;

/** The "tests": exercise part of Shapes. */
public final class Main {
    public static void main(String[] args) throws Exception {
        for (int s : new int[] {1, 3, 4, 9}) {
            Shapes.classify(s);
        }
        Shapes.perimeter(new int[] {1, 2, 3});
        new Shapes.Circle(2).area();
        Runnable r = () -> Shapes.area(1, 2);
        r.run();
        // Util lives in the default package, which a named package cannot import.
        Class.forName("Util").getMethod("twice", int.class).invoke(null, 2);
        Class.forName("Hidden").getMethod("sign", int.class).invoke(null, 5);
    }
}
