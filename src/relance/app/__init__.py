"""The shell: shipped resources, connections to backends and transports, the jobs and the executor."""
