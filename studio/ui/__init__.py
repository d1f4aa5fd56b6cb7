"""Studio's Qt user interface. It shows what the engine reports and calls the engine to act."""
