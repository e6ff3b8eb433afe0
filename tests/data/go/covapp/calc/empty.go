package calc

// Nothing is an empty function: a unit with zero statements.
func Nothing() {}
