"""Pipeline wiring only: the factory, the local runner file, the config presets."""
