"""Work that must not run inside a request and must not be lost: messages to deliver and jobs to run."""
