"""Evaluation tools the tasks (:mod:`align.tasks`) score with: asking a chat model questions in batches, metrics
(``evaluate`` modules shipped with the package), bits per byte and verbatim continuation of text."""
