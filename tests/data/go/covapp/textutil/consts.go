package textutil

// Sep has no code: the package still has a file without statements.
const Sep = " "
