"""Tables, the engine, sessions, stores and migrations."""
