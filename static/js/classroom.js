// Classroom mode: when this browser has joined a class, follow the teacher's pushes.
// (Filled in by the classroom feature.)
